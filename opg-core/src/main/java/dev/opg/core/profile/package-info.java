/** Determinism profiles: the settings that decide an engine's bits, as a value, and applying them before an engine loads. */
package dev.opg.core.profile;
