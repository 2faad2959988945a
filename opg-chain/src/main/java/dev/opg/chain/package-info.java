/**
 * opg chain (filled in by its own issue).
 */
package dev.opg.chain;
