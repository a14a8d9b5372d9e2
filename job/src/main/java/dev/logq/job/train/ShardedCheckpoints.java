package dev.logq.job.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.logq.common.model.EmbeddingTable;
import dev.logq.common.model.TableInit;
import dev.logq.common.model.TensorStore;
import dev.logq.job.output.HadoopFiles;
import dev.logq.job.train.collective.RowOwnership;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.TreeMap;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * The collective backend's checkpoint, written by the workers in parallel, shard by shard: inside the usual
 * {@code round-<n>/} directory (completed by the driver with {@code trainer.json} and {@code _COMPLETE}, see
 * {@link Checkpoints}) there is no {@code params.bin}/{@code optimizer.bin} but
 * <pre>
 *   shard-&lt;rank&gt;-of-&lt;N&gt;/params.bin, optimizer.bin   every worker: its OwnerShard (compact, local row ids)
 *   shard-&lt;rank&gt;-of-&lt;N&gt;/chunks.bin                   every worker: which chunks its replica wrote
 *   sharding.json                                     rank 0: N, the ownership seed, the tables' row counts
 *   layout.bin                                        rank 0: the replica's tables without values (name, size,
 *                                                     initialiser) and which chunks it wrote; no dense
 *                                                     tensors (each is whole in its owner's shard)
 * </pre>
 * No patches are kept: a checkpoint is the shards. {@link #assemble} scatters them into one full model (the
 * final model file, {@code --resume}, another N, the rounds backend): with the layout (its chunks ORed with
 * every shard's chunks.bin, since a pulling worker writes only the rows it reads and owns) the assembled store
 * is the same, chunk for chunk, as the rounds backend's master (an unwritten chunk stays lazy), so the model file
 * is the same byte for byte.
 */
final class ShardedCheckpoints {

  static final String SHARDING = "sharding.json";
  private static final String LAYOUT = "layout.bin";
  private static final String CHUNKS = "chunks.bin";
  private static final ObjectMapper JSON = new ObjectMapper();

  private ShardedCheckpoints() {}

  /** What sharding.json says. */
  record Sharding(int workers, long seed, TreeMap<String, Integer> tables) {
    RowOwnership ownership() {
      return new RowOwnership(workers, seed, tables);
    }
  }

  static String shardName(int rank, int workers) {
    return "shard-" + rank + "-of-" + workers;
  }

  /** The row counts of a model's tables, for {@link RowOwnership}. */
  static TreeMap<String, Integer> tableRows(TensorStore params) {
    TreeMap<String, Integer> rows = new TreeMap<>();
    for (String t : params.tableNames()) {
      rows.put(t, params.table(t).rows());
    }
    return rows;
  }

  /** A worker's half of the checkpoint: its shard; rank 0 also writes the sharding and the layout of its replica. */
  static void writeShard(String checkpoint, int rank, int workers, long seed, TensorStore shardParams,
                         TensorStore shardState, TensorStore replica, Configuration conf) {
    Path dir = new Path(checkpoint, shardName(rank, workers));
    try {
      FileSystem fs = HadoopFiles.fileSystem(dir, conf);
      fs.mkdirs(dir);
      writeStore(fs, new Path(dir, "params.bin"), shardParams);
      writeStore(fs, new Path(dir, "optimizer.bin"), shardState);
      // Which chunks this worker's replica ever wrote. Pulling workers keep different parts of the model current,
      // so the chunks written anywhere are the union over the workers (assemble ORs these into the layout's).
      try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(fs.create(new Path(dir, CHUNKS),
          true), 1 << 16))) {
        writeChunkFlags(out, replica);
      }
      if (rank == 0) {
        try (OutputStream out = fs.create(new Path(checkpoint, SHARDING), true)) {
          JSON.writerWithDefaultPrettyPrinter().writeValue(out, new Sharding(workers, seed, tableRows(replica)));
        }
        try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(
            fs.create(new Path(checkpoint, LAYOUT), true), 1 << 16))) {
          TensorStore skeleton = new TensorStore();
          for (String t : replica.tableNames()) {
            EmbeddingTable table = replica.table(t);
            skeleton.putTable(new EmbeddingTable(t, table.rows(), table.dim(), table.init()));
          }
          skeleton.writeTo(out);
          writeChunkFlags(out, replica);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("Could not write checkpoint shard " + dir + ": " + e.getMessage(), e);
    }
  }

  /** Per table in name order: the chunk count, then whether each chunk was written. */
  private static void writeChunkFlags(DataOutputStream out, TensorStore replica) throws IOException {
    for (String t : replica.tableNames()) {
      EmbeddingTable table = replica.table(t);
      out.writeInt(table.chunkCount());
      for (int c = 0; c < table.chunkCount(); c++) {
        out.writeBoolean(table.isChunkMaterialized(c));
      }
    }
  }

  /** ORs what {@link #writeChunkFlags} wrote into {@code flags} (tables in name order, as written). */
  private static void orChunkFlags(DataInputStream in, Map<String, boolean[]> flags, Path file) throws IOException {
    for (var e : flags.entrySet()) {
      boolean[] f = e.getValue();
      int count = in.readInt();
      if (count != f.length) {
        throw new IOException(file + ": table " + e.getKey() + " has " + count + " chunks, the layout " + f.length);
      }
      for (int c = 0; c < count; c++) {
        f[c] |= in.readBoolean();
      }
    }
  }

  static boolean isSharded(FileSystem fs, Path checkpoint) throws IOException {
    return fs.exists(new Path(checkpoint, SHARDING));
  }

  static Sharding sharding(FileSystem fs, Path checkpoint) throws IOException {
    try (InputStream in = fs.open(new Path(checkpoint, SHARDING))) {
      return JSON.readValue(in, Sharding.class);
    }
  }

  /** One worker's shard: {params, optimizer state}, compact as {@code OwnerShard} holds them. */
  static TensorStore[] readShard(String checkpoint, int rank, int workers, Configuration conf) {
    Path dir = new Path(checkpoint, shardName(rank, workers));
    try {
      FileSystem fs = HadoopFiles.fileSystem(dir, conf);
      return new TensorStore[] {readStore(fs, new Path(dir, "params.bin")), readStore(fs, new Path(dir, "optimizer.bin"))};
    } catch (IOException e) {
      throw new UncheckedIOException("Could not read checkpoint shard " + dir + ": " + e.getMessage(), e);
    }
  }

  /**
   * The full parameters, or with {@code state} the full optimizer state, scattered from every shard. Parameters
   * take the layout's tables: rows are written only into chunks some replica had written (the others still hold
   * their initial values, which the owners' shards hold too). Optimizer slots start at zero and only non-zero
   * rows are written, so untouched chunks stay unallocated.
   */
  static TensorStore assemble(FileSystem fs, Path checkpoint, boolean state) throws IOException {
    Sharding s = sharding(fs, checkpoint);
    RowOwnership own = s.ownership();
    TensorStore full = new TensorStore();
    Map<String, boolean[]> written = new TreeMap<>();
    if (!state) {
      try (DataInputStream in = new DataInputStream(new BufferedInputStream(fs.open(new Path(checkpoint, LAYOUT)),
          1 << 16))) {
        full = TensorStore.readFrom(in);
        for (String t : full.tableNames()) {
          boolean[] flags = new boolean[in.readInt()];
          for (int c = 0; c < flags.length; c++) {
            flags[c] = in.readBoolean();
          }
          written.put(t, flags);
        }
      }
      for (int rank = 0; rank < s.workers(); rank++) {
        Path chunks = new Path(new Path(checkpoint, shardName(rank, s.workers())), CHUNKS);
        if (fs.exists(chunks)) { // absent in checkpoints written before workers pulled
          try (DataInputStream in = new DataInputStream(new BufferedInputStream(fs.open(chunks), 1 << 16))) {
            orChunkFlags(in, written, chunks);
          }
        }
      }
    }
    String file = state ? "optimizer.bin" : "params.bin";
    for (int rank = 0; rank < s.workers(); rank++) {
      TensorStore part = readStore(fs, new Path(new Path(checkpoint, shardName(rank, s.workers())), file));
      for (String t : part.tableNames()) {
        EmbeddingTable local = part.table(t);
        if (!full.hasTable(t)) {
          int rows = 0;
          for (int r = 0; r < s.workers(); r++) {
            rows += own.shardRows(t, r);
          }
          full.addTable(t, rows, local.dim(), TableInit.zeros());
        }
        EmbeddingTable target = full.table(t);
        boolean[] flags = written.get(t);
        float[] row = new float[local.dim()];
        int n = own.shardRows(t, rank);
        for (int l = 0; l < n; l++) {
          int g = own.globalRow(t, rank, l);
          if (flags != null ? flags[g / target.chunkRows()] : local.isChunkMaterialized(l / local.chunkRows())) {
            local.readRow(l, row, 0);
            if (flags != null || !allZero(row)) {
              target.writeRow(g, row, 0);
            }
          }
        }
      }
      for (String d : part.denseNames()) { // each dense tensor is in its owner's shard only
        full.putDense(d, part.dense(d));
      }
    }
    return full;
  }

  private static boolean allZero(float[] row) {
    for (float v : row) {
      if (Float.floatToRawIntBits(v) != 0) {
        return false;
      }
    }
    return true;
  }

  private static void writeStore(FileSystem fs, Path path, TensorStore store) throws IOException {
    try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(fs.create(path, true), 1 << 20))) {
      store.writeTo(out);
    }
  }

  private static TensorStore readStore(FileSystem fs, Path path) throws IOException {
    try (DataInputStream in = new DataInputStream(new BufferedInputStream(fs.open(path), 1 << 20))) {
      return TensorStore.readFrom(in);
    }
  }
}
