/**
 * Proving and verifying whole Spark Datasets: {@link dev.opg.spark.SparkProver} proves every row
 * on the executors into a job directory, {@link dev.opg.spark.ProvenJob} computes the job root
 * from the committed files and anchors it once, {@link dev.opg.spark.JobVerifier} re-executes
 * rows (all, or a {@link dev.opg.spark.Sample}) against the anchored root.
 *
 * <p><b>The job directory</b> is a Hadoop path on any file system the session's Hadoop
 * configuration knows ({@code hdfs://nn:8020/jobs/42}, {@code s3a://bucket/jobs/42},
 * {@code file:/shared/jobs/42}), or a local {@code java.nio.file.Path} shared by every executor.
 * It holds {@code job.json} (the manifest) and {@code parts/}: one
 * {@code part-NNNNN.opgpart} per input partition ({@link dev.opg.spark.PartitionFile}) and, once
 * anchored, one {@code part-NNNNN.receipts.jsonl} beside it. Every file is written under a
 * temporary name ({@code .NAME.*.tmp}) and renamed into place when complete; only final names
 * are ever read, and every read is bounded, so a task killed mid-write leaves nothing that a later
 * run or a verifier accepts.
 *
 * <p><b>One row for {@code opg check-anchor}</b>, which reads local files: export it from the
 * job directory wherever it is, with
 * {@link dev.opg.spark.ProvenJob#exportRow(Object, java.nio.file.Path)} on the driver, or
 * {@link dev.opg.spark.JobFiles#exportRow(String, org.apache.hadoop.conf.Configuration, String, java.nio.file.Path)}
 * from any JVM with a Hadoop client; or copy the files out first
 * ({@code hdfs dfs -get hdfs://nn:8020/jobs/42 job-42}) and export from the local copy
 * ({@code JobFiles.exportRow("job-42", new Configuration(), "4242", Path.of("row"))}).
 * Either way {@code row-KEY.json} and {@code row-KEY.json.anchor.json} are written side by side,
 * and {@code opg check-anchor row-KEY.json --rpc URL --contract ADDRESS --submitter ADDRESS} checks the
 * row on chain.
 */
package dev.opg.spark;
