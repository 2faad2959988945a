/**
 * JMH benchmarks (filled in by the benchmarks issue).
 */
package dev.opg.benchmarks;
