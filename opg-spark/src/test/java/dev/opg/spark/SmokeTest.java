package dev.opg.spark;

import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;

class SmokeTest {
    @Test
    void starts() throws Exception {
        try (SparkSession s = SparkSession.builder().master("local[2]").appName("smoke").config("spark.ui.enabled", "false").getOrCreate()) {
            System.out.println("COUNT " + s.range(0, 1000, 1, 7).selectExpr("sum(id)").first());
        }
    }
}
