package dev.logq.job.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.logq.common.model.EmbeddingTable;
import dev.logq.common.model.TableInit;
import dev.logq.common.model.TensorStore;
import dev.logq.common.optim.Optimizer;
import dev.logq.common.optim.Optimizers;
import dev.logq.job.train.collective.OwnerShard;
import dev.logq.job.train.collective.RowOwnership;
import java.nio.file.Path;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A sharded checkpoint assembles into the model the workers trained, chunk for chunk, also when the workers'
 * replicas wrote different chunks (pulling workers keep current only the rows they read and own): a row changed
 * by rank 1 in a chunk rank 0's replica never wrote is in the assembled model, and chunks no replica wrote stay
 * lazy.
 */
class ShardedCheckpointsTest {

  private static final int ROWS = 40_000;
  private static final int DIM = 4; // 16,384 rows per chunk: 3 chunks

  @TempDir
  Path tmp;

  @Test
  void chunksWrittenByAnyWorkerAreAssembled() throws Exception {
    TensorStore initial = new TensorStore();
    initial.addTable("item.embedding", ROWS, DIM, TableInit.gaussian(3, 0.1));
    initial.putDense("mlp.b0", new float[] {0.25f});
    EmbeddingTable table = initial.table("item.embedding");
    assertEquals(3, table.chunkCount());
    RowOwnership ownership = new RowOwnership(2, 9L, ShardedCheckpoints.tableRows(initial));
    Optimizer adam = Optimizers.create("adam", 0.01, 0.9, 0.999, 1e-8);
    int chunkRows = table.chunkRows();
    int changed = -1; // a row of the last chunk that rank 1 owns
    for (int r = 2 * chunkRows; r < ROWS && changed < 0; r++) {
      if (ownership.owner("item.embedding", r) == 1) {
        changed = r;
      }
    }
    float[] newValue = {1f, 2f, 3f, 4f};
    TensorStore[] replicas = {initial.copy(), initial.copy()};
    OwnerShard[] shards = new OwnerShard[2];
    for (int rank = 0; rank < 2; rank++) {
      shards[rank] = OwnerShard.of(replicas[rank], null, ownership, rank, adam);
    }
    // Rank 1 changed its row (its shard and its replica); rank 0's replica never read or wrote that chunk.
    shards[1].params().table("item.embedding").writeRow(ownership.localRow("item.embedding", changed), newValue, 0);
    replicas[1].table("item.embedding").writeRow(changed, newValue, 0);
    assertFalse(replicas[0].table("item.embedding").isChunkMaterialized(2));
    String dir = tmp.resolve("round-1").toUri().toString();
    for (int rank = 0; rank < 2; rank++) {
      ShardedCheckpoints.writeShard(dir, rank, 2, 9L, shards[rank].params(), shards[rank].state(), replicas[rank],
          new Configuration());
    }
    org.apache.hadoop.fs.Path path = new org.apache.hadoop.fs.Path(dir);
    TensorStore assembled = ShardedCheckpoints.assemble(FileSystem.get(path.toUri(), new Configuration()), path,
        false);
    EmbeddingTable got = assembled.table("item.embedding");
    float[] row = new float[DIM];
    got.readRow(changed, row, 0);
    assertArrayEquals(newValue, row, "rank 1's change");
    assertTrue(got.isChunkMaterialized(2));
    assertFalse(got.isChunkMaterialized(0) || got.isChunkMaterialized(1), "chunks no replica wrote stay lazy");
    TensorStore expected = initial.copy();
    expected.table("item.embedding").writeRow(changed, newValue, 0);
    assertTrue(expected.bitwiseEquals(assembled), "the assembled model is the trained one");
  }
}
