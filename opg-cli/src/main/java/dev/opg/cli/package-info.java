/**
 * opg cli (filled in by its own issue).
 */
package dev.opg.cli;
