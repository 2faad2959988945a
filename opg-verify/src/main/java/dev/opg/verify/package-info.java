/**
 * opg verify (filled in by its own issue).
 */
package dev.opg.verify;
