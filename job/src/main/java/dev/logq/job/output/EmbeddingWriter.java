package dev.logq.job.output;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.countDistinct;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.when;

import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.storage.StorageLevel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes embeddings as Parquet under their original ids: columns {@code id string} (the id as it
 * appeared in the input), {@code index int} (the dense index the model uses) and
 * {@code embedding array<float>}.
 */
public final class EmbeddingWriter {

  public static final String ID = "id";
  public static final String INDEX = "index";
  public static final String EMBEDDING = "embedding";
  /** Column names of the id index Dataset the ingestion produces. */
  public static final String ORIGINAL_ID = "original_id";

  private static final Logger LOG = LoggerFactory.getLogger(EmbeddingWriter.class);

  private EmbeddingWriter() {}

  /**
   * Joins {@code embeddings} ({@code <indexColumn> int, embedding array<float>}) with
   * {@code idIndex} ({@code original_id string, index int}) and writes the result to {@code targetUri}
   * (typically {@link AtomicOutput#stagingUri}).
   *
   * @return the number of rows written
   * @throws IllegalArgumentException if an embedding has no original id, or an index appears twice
   */
  public static long write(Dataset<Row> embeddings, String indexColumn, Dataset<Row> idIndex, String targetUri) {
    require(embeddings, "embeddings", indexColumn, EMBEDDING);
    require(idIndex, "id index", ORIGINAL_ID, INDEX);
    Dataset<Row> emb = embeddings.select(col(indexColumn).cast("int").as(INDEX), col(EMBEDDING).cast("array<float>").as(EMBEDDING));
    Dataset<Row> ids = idIndex.select(col(ORIGINAL_ID).cast("string").as(ID), col(INDEX).cast("int").as(INDEX));
    Dataset<Row> joined = emb.join(ids, new String[] {INDEX}, "left").select(ID, INDEX, EMBEDDING)
        .persist(StorageLevel.MEMORY_AND_DISK());
    try {
      Row stats = joined.agg(count(lit(1)), count(when(col(ID).isNull(), 1)), countDistinct(col(INDEX))).first();
      long rows = stats.getLong(0);
      long withoutId = stats.getLong(1);
      long distinctIndices = stats.getLong(2);
      if (withoutId > 0) {
        Row example = joined.where(col(ID).isNull()).select(INDEX).first();
        throw new IllegalArgumentException(withoutId + " embeddings (" + indexColumn + " " + example.get(0)
            + " among them) have no original id in the id index");
      }
      if (distinctIndices != rows) {
        throw new IllegalArgumentException("writing " + rows + " embedding rows for only " + distinctIndices
            + " distinct indices: the id index maps an index to several ids, or an index has several embeddings");
      }
      joined.write().mode(SaveMode.ErrorIfExists).parquet(targetUri);
      LOG.info("Wrote {} embeddings with original ids to {}", rows, targetUri);
      return rows;
    } finally {
      joined.unpersist(false);
    }
  }

  /**
   * Writes an id index ({@code original_id string, index int}) as Parquet, e.g. next to the model so
   * that its rows can be mapped back to ids.
   *
   * @return the number of rows written
   */
  public static long writeIdIndex(Dataset<Row> idIndex, String targetUri) {
    require(idIndex, "id index", ORIGINAL_ID, INDEX);
    Dataset<Row> ids = idIndex.select(col(ORIGINAL_ID).cast("string").as(ORIGINAL_ID), col(INDEX).cast("int").as(INDEX));
    ids.write().mode(SaveMode.ErrorIfExists).parquet(targetUri);
    return ids.sparkSession().read().parquet(targetUri).count();
  }

  private static void require(Dataset<Row> ds, String what, String... columns) {
    List<String> have = Arrays.asList(ds.columns());
    for (String c : columns) {
      if (!have.contains(c)) {
        throw new IllegalArgumentException(what + " lack the column '" + c + "' (columns: " + have + ")");
      }
    }
  }
}
