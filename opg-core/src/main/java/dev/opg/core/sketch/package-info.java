/** The seeded random projections of SKETCH mode. */
package dev.opg.core.sketch;
