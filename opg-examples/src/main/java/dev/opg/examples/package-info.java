/**
 * opg examples (filled in by its own issue).
 */
package dev.opg.examples;
