package dev.logq.job.train.collective;

import dev.logq.common.model.SparseRows;
import dev.logq.common.model.TensorPatch;
import dev.logq.common.model.TensorStore;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * One synchronous round of owner-sharded data parallelism, the pattern of MLlib ALS's in/out blocks and of
 * ZeRO's reduce-scatter: row r of table t is owned by {@link RowOwnership#owner}; dense tensors by
 * {@link RowOwnership#denseOwner}.
 * <pre>
 *   every rank: split its gradient by owner ──sparse reduce-scatter (one all-to-all)──▶ owners
 *               (each part carries the sender's example count, so every owner learns the total)
 *   owner:      sum of the parts in rank order ─▶ {@link OwnerStep} (mean + optimizer on its own rows only)
 *   owner ──new values of its changed rows and dense tensors──▶ every rank (all-gather)
 *   every rank: the union, to apply to its replica
 * </pre>
 * Per rank and round: 2 (N - 1) messages; bytes out = its gradient + its owned new values x (N - 1); bytes in
 * = the others' parts for its rows + every changed row. No driver involvement.
 *
 * <p>Determinism: the owner adds part 0, then part 1, ... with {@code TensorPatch.addScaled(part, 1f)}, skipping
 * ranks without examples, which is exactly what the rounds backend's driver does per row (its sum over the
 * partition-ordered contributions visits a given row's contributions in the same order with the same
 * float operations), so the owned sums carry the same bits as the driver's, on any layout and arrival order.
 */
public final class ShardedExchange {

  /**
   * The summed contributions of a round for the rows and dense tensors this rank owns. {@code rowsOnly}: a second
   * part of the round's rows, whose step must leave the dense tensors alone (the first part stepped them).
   */
  public record Owned(TensorPatch sum, long examples, long[] examplesByRank, boolean rowsOnly) {
    public Owned(TensorPatch sum, long examples, long[] examplesByRank) {
      this(sum, examples, examplesByRank, false);
    }
  }

  /**
   * What an owner does with its sum: typically scale by 1 / examples and step the optimizer on its shard.
   * Returns the new values of the owned rows and dense tensors that changed (only owned ones), or null.
   */
  @FunctionalInterface
  public interface OwnerStep {
    TensorPatch apply(Owned owned);
  }

  /**
   * A finished round: every changed row's new value (the same patch on every rank), the total examples, and (a
   * pull round's) the sum of every rank's loss sum in rank order, {@link Collectives#sumInRankOrder}'s bits; NaN
   * for a round that did not carry the losses.
   */
  public record Outcome(TensorPatch newValues, long examples, double lossSum) {
    Outcome(TensorPatch newValues, long examples) {
      this(newValues, examples, Double.NaN);
    }
  }

  private final Collectives collectives;
  private final RowOwnership ownership;
  private long lastSentBytes;
  private long lastReceivedBytes;

  public ShardedExchange(Collectives collectives, RowOwnership ownership) {
    if (ownership.workers() != collectives.size()) {
      throw new IllegalArgumentException("ownership for " + ownership.workers() + " workers in a group of "
          + collectives.size());
    }
    this.collectives = collectives;
    this.ownership = ownership;
  }

  /** One round: reduce-scatter, the owner's step, all-gather of the new values. */
  public Outcome round(TensorPatch gradient, long examples, OwnerStep step) {
    Owned owned = reduceScatter(gradient, examples);
    TensorPatch mine = owned.examples() == 0 ? null : step.apply(owned);
    TensorPatch all = allGatherRows(mine == null ? new TensorPatch() : mine);
    return new Outcome(all, owned.examples());
  }

  /**
   * One round in which a rank keeps current only the rows it reads (the pull form of {@link #round}): with its
   * gradient parts every rank sends each owner the ids of that owner's rows its next step reads
   * ({@code nextReads}); each owner sums and steps its rows, applies their new values to its own {@code replica}
   * (so an owner's rows are always current there), and answers every rank with the current values of the rows it
   * asked for and the new values of the owner's dense tensors, which every step reads. Each rank then applies
   * what it was sent. Per rank and round: 2 (N - 1) messages, as in {@link #round}; bytes in = the others' parts
   * for its rows + the rows of its next step that others own, about its batch's rows whatever N is, where the
   * all-gather delivers every row any rank changed (about N times a batch's). Rows its next step does not read
   * may be out of date in its replica afterwards: a caller reads only the rows it pulled (and its own), and
   * pulls ({@link #pull}) before a step that no previous round prepared.
   *
   * <p>Same bits as {@link #round}: the owner's sum and step are the same, and a pulled row is the owner's
   * current value, which is what the all-gather would have left in the replica.
   *
   * @param nextReads table to sorted distinct row ids the next step reads (all owners' rows; empty for none)
   * @return the rows and dense tensors this rank was sent and applied (its own new values not included)
   */
  public Outcome pullRound(TensorPatch gradient, long examples, double lossSum, Map<String, int[]> nextReads,
                           TensorStore replica, OwnerStep step) {
    int n = collectives.size();
    int me = collectives.rank();
    TensorPatch[] parts = split(gradient);
    List<Map<String, int[]>> requests = requestsByOwner(nextReads);
    byte[][] out = new byte[n][];
    long sent = 0;
    for (int r = 0; r < n; r++) {
      if (r != me) {
        out[r] = Codec.patchAndRequest(examples, lossSum, parts[r], requests.get(r));
        sent += out[r].length;
      }
    }
    out[me] = new byte[0];
    byte[][] in = collectives.allToAll(out);
    long[] examplesByRank = new long[n];
    double[] lossByRank = new double[n];
    TensorPatch[] received = new TensorPatch[n];
    List<Map<String, int[]>> asked = new ArrayList<>(n);
    long receivedBytes = 0;
    for (int r = 0; r < n; r++) {
      if (r == me) {
        examplesByRank[r] = examples;
        lossByRank[r] = lossSum;
        received[r] = parts[r];
        asked.add(Map.of());
        continue;
      }
      receivedBytes += in[r].length;
      try {
        Codec.PatchAndRequest m = Codec.patchAndRequest(in[r]);
        examplesByRank[r] = m.header();
        lossByRank[r] = m.value();
        received[r] = m.patch();
        asked.add(m.request());
      } catch (IOException e) {
        throw collectives.group().fail(r, "rank " + me + " could not decode rank " + r + "'s gradient part", e);
      }
    }
    long total = 0;
    for (long e : examplesByRank) {
      total += e;
    }
    Owned owned = new Owned(rankOrderSum(received, examplesByRank), total, examplesByRank);
    // The rows some peer reads next (and the dense tensors) are stepped first and answered; the rest of the owned
    // rows are stepped while the answers travel. Each row's step is its own arithmetic: the same bits either way.
    Owned[] byAsked = owned.examples() == 0 ? null : splitByAsked(owned, asked);
    TensorPatch first = byAsked == null ? null : stepAndApply(step, byAsked[0], replica, me);
    int tag = sendAnswers(asked, first == null ? List.of() : first.denseNames(), replica);
    if (byAsked != null && !byAsked[1].sum().isEmpty()) {
      stepAndApply(step, byAsked[1], replica, me);
    }
    TensorPatch pulled = receiveAnswers(tag, replica);
    lastSentBytes = sent + answerSentBytes;
    lastReceivedBytes = receivedBytes + answerReceivedBytes;
    return new Outcome(pulled, owned.examples(), Collectives.sumInRankOrder(lossByRank));
  }

  /**
   * Brings the rows {@code reads} names up to date in {@code replica} from their owners (a segment's first step,
   * which no previous pull round prepared): one all-to-all of requests, one of answers.
   */
  public TensorPatch pull(Map<String, int[]> reads, TensorStore replica) {
    int n = collectives.size();
    int me = collectives.rank();
    List<Map<String, int[]>> requests = requestsByOwner(reads);
    byte[][] out = new byte[n][];
    for (int r = 0; r < n; r++) {
      out[r] = r == me ? new byte[0] : Codec.request(requests.get(r));
    }
    byte[][] in = collectives.allToAll(out);
    List<Map<String, int[]>> asked = new ArrayList<>(n);
    for (int r = 0; r < n; r++) {
      try {
        asked.add(r == me ? Map.of() : Codec.request(in[r]));
      } catch (IOException e) {
        throw collectives.group().fail(r, "rank " + me + " could not decode rank " + r + "'s request", e);
      }
    }
    return answer(asked, List.of(), replica);
  }

  private long answerSentBytes;
  private long answerReceivedBytes;

  /** The owner's step of {@code part} applied to this rank's replica; null when nothing changed. */
  private TensorPatch stepAndApply(OwnerStep step, Owned part, TensorStore replica, int me) {
    TensorPatch values = step.apply(part);
    if (values != null) {
      checkOwned(values, me);
      replica.applyPatch(values);
    }
    return values;
  }

  /**
   * {the rows of {@code owned} that some rank asked for and every dense tensor, the other rows (rows only)}, both
   * with the round's example counts (the mean divides by all of them). The first part is stepped even when empty:
   * its step moves every owned dense tensor, with or without a gradient, as one step of the whole sum would.
   */
  static Owned[] splitByAsked(Owned owned, List<Map<String, int[]>> asked) {
    TensorPatch first = new TensorPatch();
    TensorPatch rest = new TensorPatch();
    for (String table : owned.sum().tableNames()) {
      SparseRows rows = owned.sum().rows(table);
      int[] group = new int[rows.size()];
      Arrays.fill(group, 1); // the rest, unless some rank asked for the row
      for (Map<String, int[]> a : asked) {
        for (int id : a.getOrDefault(table, new int[0])) {
          int i = rows.indexOf(id);
          if (i >= 0) {
            group[i] = 0;
          }
        }
      }
      SparseRows[] parts = partition(rows, group, 2);
      if (parts[0] != null) {
        first.putRows(table, parts[0]);
      }
      if (parts[1] != null) {
        rest.putRows(table, parts[1]);
      }
    }
    for (String name : owned.sum().denseNames()) {
      first.putDense(name, owned.sum().dense(name));
    }
    return new Owned[] {new Owned(first, owned.examples(), owned.examplesByRank(), owned.rowsOnly()),
        new Owned(rest, owned.examples(), owned.examplesByRank(), true)};
  }

  /**
   * The rows of {@code rows} by {@code group[i]} (0 .. groups - 1), each group's in their order; null for a group
   * without rows.
   */
  private static SparseRows[] partition(SparseRows rows, int[] group, int groups) {
    int dim = rows.dim();
    int[] counts = new int[groups];
    for (int g : group) {
      counts[g]++;
    }
    int[][] ids = new int[groups][];
    float[][] values = new float[groups][];
    for (int g = 0; g < groups; g++) {
      ids[g] = new int[counts[g]];
      values[g] = new float[counts[g] * dim];
    }
    int[] fill = new int[groups];
    for (int i = 0; i < rows.size(); i++) {
      int g = group[i];
      ids[g][fill[g]] = rows.rowId(i);
      rows.copyRow(i, values[g], fill[g] * dim);
      fill[g]++;
    }
    SparseRows[] parts = new SparseRows[groups];
    for (int g = 0; g < groups; g++) {
      parts[g] = counts[g] > 0 ? new SparseRows(dim, ids[g], values[g]) : null;
    }
    return parts;
  }

  /**
   * Sends every rank the current values in {@code replica} of the rows it asked for (all owned by this rank) and
   * the named dense tensors; applies and returns the union of what the others sent this rank.
   */
  private TensorPatch answer(List<Map<String, int[]>> asked, java.util.Collection<String> dense,
                             TensorStore replica) {
    return receiveAnswers(sendAnswers(asked, dense, replica), replica);
  }

  /** Sends every rank the current values of what it asked for (see {@link #answer}); the tag to receive with. */
  private int sendAnswers(List<Map<String, int[]>> asked, java.util.Collection<String> dense, TensorStore replica) {
    int n = collectives.size();
    int me = collectives.rank();
    byte[][] out = new byte[n][];
    long sent = 0;
    for (int r = 0; r < n; r++) {
      if (r == me) {
        out[r] = new byte[0];
        continue;
      }
      for (var e : asked.get(r).entrySet()) {
        int rows = replica.hasTable(e.getKey()) ? replica.table(e.getKey()).rows() : 0;
        java.util.function.IntUnaryOperator owners = rows > 0 ? ownership.owners(e.getKey()) : null;
        for (int id : e.getValue()) {
          if (id < 0 || id >= rows || owners.applyAsInt(id) != me) {
            throw collectives.group().fail(r, "rank " + r + " asked rank " + me + " for row " + id + " of '"
                + e.getKey() + "', which it does not own", null);
          }
        }
      }
      out[r] = Codec.patch(0L, TensorPatch.gatherRows(replica, asked.get(r), dense));
      sent += out[r].length;
    }
    answerSentBytes = sent;
    return collectives.startAllToAll(out);
  }

  /** Applies and returns the union of the answers the other ranks sent this rank under {@code tag}. */
  private TensorPatch receiveAnswers(int tag, TensorStore replica) {
    int n = collectives.size();
    int me = collectives.rank();
    byte[][] in = collectives.finishAllToAll(tag, new byte[0]);
    TensorPatch[] parts = new TensorPatch[n];
    long received = 0;
    for (int r = 0; r < n; r++) {
      if (r == me) {
        parts[r] = new TensorPatch();
        continue;
      }
      received += in[r].length;
      try {
        parts[r] = Codec.patch(in[r]);
      } catch (IOException e) {
        throw collectives.group().fail(r, "rank " + me + " could not decode rank " + r + "'s rows", e);
      }
    }
    answerReceivedBytes = received;
    TensorPatch pulled = union(parts);
    replica.applyPatch(pulled);
    return pulled;
  }

  /** The ids of {@code reads} by owner; this rank's own are left out (its replica holds them current). */
  private List<Map<String, int[]>> requestsByOwner(Map<String, int[]> reads) {
    int n = collectives.size();
    int me = collectives.rank();
    List<Map<String, int[]>> byOwner = new ArrayList<>(n);
    for (int r = 0; r < n; r++) {
      byOwner.add(new TreeMap<>());
    }
    for (var e : reads.entrySet()) {
      String table = e.getKey();
      int[] ids = e.getValue();
      int[] counts = new int[n];
      java.util.function.IntUnaryOperator owners = ownership.owners(table);
      int[] owner = new int[ids.length];
      for (int i = 0; i < ids.length; i++) {
        owner[i] = owners.applyAsInt(ids[i]);
        counts[owner[i]]++;
      }
      int[][] split = new int[n][];
      for (int r = 0; r < n; r++) {
        split[r] = new int[counts[r]];
      }
      int[] fill = new int[n];
      for (int i = 0; i < ids.length; i++) {
        split[owner[i]][fill[owner[i]]++] = ids[i];
      }
      for (int r = 0; r < n; r++) {
        if (r != me && counts[r] > 0) {
          byOwner.get(r).put(table, split[r]);
        }
      }
    }
    return byOwner;
  }

  /** Bytes this rank sent / received in the last round's two collectives (its own part excluded). */
  public long lastSentBytes() {
    return lastSentBytes;
  }

  public long lastReceivedBytes() {
    return lastReceivedBytes;
  }

  /**
   * Sends every owner the rows and dense tensors of {@code gradient} it owns (and this rank's example count)
   * and returns the rank-order sum of what every rank sent for this rank's rows. {@code gradient} is not
   * changed.
   */
  public Owned reduceScatter(TensorPatch gradient, long examples) {
    int n = collectives.size();
    int me = collectives.rank();
    TensorPatch[] parts = split(gradient);
    byte[][] out = new byte[n][];
    long sent = 0;
    for (int r = 0; r < n; r++) {
      if (r != me) {
        out[r] = Codec.patch(examples, parts[r]);
        sent += out[r].length;
      }
    }
    out[me] = new byte[0];
    byte[][] in = collectives.allToAll(out);
    long[] examplesByRank = new long[n];
    TensorPatch[] received = new TensorPatch[n];
    long receivedBytes = 0;
    for (int r = 0; r < n; r++) {
      if (r == me) {
        examplesByRank[r] = examples;
        received[r] = parts[r];
        continue;
      }
      receivedBytes += in[r].length;
      examplesByRank[r] = Codec.header(in[r]);
      try {
        received[r] = Codec.patch(in[r]);
      } catch (IOException e) {
        throw collectives.group().fail(r, "rank " + me + " could not decode rank " + r + "'s gradient part", e);
      }
    }
    lastSentBytes = sent;
    lastReceivedBytes = receivedBytes;
    long total = 0;
    for (int r = 0; r < n; r++) {
      total += examplesByRank[r];
    }
    return new Owned(rankOrderSum(received, examplesByRank), total, examplesByRank);
  }

  /**
   * The sum of the parts of the ranks with examples, in rank order (the rounds backend's partition order), with
   * the bits of {@code new TensorPatch().addScaled(part0, 1f).addScaled(part1, 1f)...}: a row's first
   * contribution is taken as it is (x * 1f is x), every later one is added ({@code acc + 1f * x}), but into one
   * array per table sized to the union of the rows, where addScaled allocates a merged copy per part. Takes
   * ownership of the parts' arrays (they are fresh: decoded, or split off this rank's gradient).
   */
  static TensorPatch rankOrderSum(TensorPatch[] parts, long[] examplesByRank) {
    TreeMap<String, List<SparseRows>> tables = new TreeMap<>();
    TreeMap<String, List<float[]>> denses = new TreeMap<>();
    for (int r = 0; r < parts.length; r++) {
      if (examplesByRank[r] == 0) {
        continue;
      }
      for (String t : parts[r].tableNames()) {
        tables.computeIfAbsent(t, k -> new ArrayList<>()).add(parts[r].rows(t));
      }
      for (String d : parts[r].denseNames()) {
        denses.computeIfAbsent(d, k -> new ArrayList<>()).add(parts[r].dense(d));
      }
    }
    TensorPatch sum = new TensorPatch();
    for (var e : tables.entrySet()) {
      if (denses.containsKey(e.getKey())) {
        throw new IllegalArgumentException("'" + e.getKey() + "' is a table in one patch and dense in the other");
      }
      sum.putRows(e.getKey(), sumRows(e.getValue()));
    }
    for (var e : denses.entrySet()) {
      List<float[]> list = e.getValue();
      float[] acc = list.get(0);
      for (int p = 1; p < list.size(); p++) {
        float[] x = list.get(p);
        if (x.length != acc.length) {
          throw new IllegalArgumentException("dense tensor '" + e.getKey() + "' has " + acc.length
              + " values here and " + x.length + " in the patch being added");
        }
        for (int i = 0; i < acc.length; i++) {
          acc[i] += 1f * x[i];
        }
      }
      sum.putDense(e.getKey(), acc);
    }
    return sum;
  }

  private static SparseRows sumRows(List<SparseRows> list) {
    SparseRows first = list.get(0);
    if (list.size() == 1) {
      return first;
    }
    int dim = first.dim();
    int[] union = first.rowIds();
    for (int p = 1; p < list.size(); p++) {
      if (list.get(p).dim() != dim) {
        throw new IllegalArgumentException("cannot add sparse rows of dim " + list.get(p).dim() + " to rows of dim "
            + dim);
      }
      union = mergeIds(union, list.get(p));
    }
    float[] acc = new float[union.length * dim];
    boolean[] seen = new boolean[union.length];
    float[] row = new float[dim];
    for (SparseRows part : list) {
      int at = 0;
      for (int i = 0; i < part.size(); i++) {
        int id = part.rowId(i);
        while (union[at] < id) {
          at++;
        }
        int off = at * dim;
        if (seen[at]) {
          part.copyRow(i, row, 0);
          for (int k = 0; k < dim; k++) {
            acc[off + k] += 1f * row[k];
          }
        } else {
          part.copyRow(i, acc, off);
          seen[at] = true;
        }
      }
    }
    return new SparseRows(dim, union, acc);
  }

  /** The sorted union of sorted unique ids and a part's row ids. */
  private static int[] mergeIds(int[] a, SparseRows b) {
    int[] out = new int[a.length + b.size()];
    int i = 0;
    int j = 0;
    int o = 0;
    while (i < a.length || j < b.size()) {
      if (j >= b.size() || (i < a.length && a[i] < b.rowId(j))) {
        out[o++] = a[i++];
      } else if (i >= a.length || b.rowId(j) < a[i]) {
        out[o++] = b.rowId(j++);
      } else {
        out[o++] = a[i++];
        j++;
      }
    }
    return o == out.length ? out : Arrays.copyOf(out, o);
  }

  /**
   * Sends this rank's owned new values to every rank and returns the union of all ranks' (disjoint) values,
   * rows in id order, the same patch on every rank.
   */
  public TensorPatch allGatherRows(TensorPatch ownedValues) {
    int me = collectives.rank();
    checkOwned(ownedValues, me);
    byte[] mine = Codec.patch(0L, ownedValues);
    byte[][] in = collectives.allGather(mine);
    TensorPatch[] parts = new TensorPatch[in.length];
    long receivedBytes = 0;
    for (int r = 0; r < in.length; r++) {
      if (r == me) {
        parts[r] = ownedValues;
        continue;
      }
      receivedBytes += in[r].length;
      try {
        parts[r] = Codec.patch(in[r]);
      } catch (IOException e) {
        throw collectives.group().fail(r, "rank " + me + " could not decode rank " + r + "'s new values", e);
      }
    }
    lastSentBytes += (long) mine.length * (in.length - 1);
    lastReceivedBytes += receivedBytes;
    return union(parts);
  }

  /** Splits a patch by owner (rows keep their id order; empty tables are left out). */
  TensorPatch[] split(TensorPatch patch) {
    int n = collectives.size();
    TensorPatch[] parts = new TensorPatch[n];
    for (int r = 0; r < n; r++) {
      parts[r] = new TensorPatch();
    }
    for (String table : patch.tableNames()) {
      SparseRows rows = patch.rows(table);
      java.util.function.IntUnaryOperator owners = ownership.owners(table);
      int[] owner = new int[rows.size()];
      for (int i = 0; i < rows.size(); i++) {
        owner[i] = owners.applyAsInt(rows.rowId(i));
      }
      SparseRows[] byOwner = partition(rows, owner, n);
      for (int r = 0; r < n; r++) {
        if (byOwner[r] != null) {
          parts[r].putRows(table, byOwner[r]);
        }
      }
    }
    for (String name : patch.denseNames()) {
      parts[ownership.denseOwner(name)].putDense(name, patch.dense(name).clone());
    }
    return parts;
  }

  private void checkOwned(TensorPatch values, int me) {
    for (String table : values.tableNames()) {
      SparseRows rows = values.rows(table);
      java.util.function.IntUnaryOperator owners = ownership.owners(table);
      for (int i = 0; i < rows.size(); i++) {
        if (owners.applyAsInt(rows.rowId(i)) != me) {
          throw new IllegalArgumentException("rank " + me + " publishes row " + rows.rowId(i) + " of '" + table
              + "', which rank " + owners.applyAsInt(rows.rowId(i)) + " owns");
        }
      }
    }
    for (String name : values.denseNames()) {
      if (ownership.denseOwner(name) != me) {
        throw new IllegalArgumentException("rank " + me + " publishes dense tensor '" + name + "', which rank "
            + ownership.denseOwner(name) + " owns");
      }
    }
  }

  /** The union of patches with disjoint rows and dense tensors; values copied bit for bit. */
  static TensorPatch union(TensorPatch[] parts) {
    TreeMap<String, List<SparseRows>> byTable = new TreeMap<>();
    TensorPatch out = new TensorPatch();
    for (TensorPatch p : parts) {
      for (String table : p.tableNames()) {
        byTable.computeIfAbsent(table, k -> new ArrayList<>()).add(p.rows(table));
      }
      for (String name : p.denseNames()) {
        if (out.dense(name) != null) {
          throw new IllegalArgumentException("dense tensor '" + name + "' published by two ranks");
        }
        out.putDense(name, p.dense(name));
      }
    }
    for (var e : byTable.entrySet()) {
      List<SparseRows> list = e.getValue();
      if (list.size() == 1) { // one rank sent this table (two workers: always): its rows are the union
        out.putRows(e.getKey(), list.get(0));
        continue;
      }
      int dim = list.get(0).dim();
      int total = 0;
      for (SparseRows r : list) {
        total += r.size();
      }
      int[] ids = new int[total];
      int k = 0;
      for (SparseRows r : list) {
        for (int i = 0; i < r.size(); i++) {
          ids[k++] = r.rowId(i);
        }
      }
      Arrays.sort(ids);
      float[] values = new float[total * dim];
      for (SparseRows r : list) {
        for (int i = 0; i < r.size(); i++) {
          int at = Arrays.binarySearch(ids, r.rowId(i));
          r.copyRow(i, values, at * dim);
        }
      }
      out.putRows(e.getKey(), new SparseRows(dim, ids, values)); // validates: rows must be disjoint
    }
    return out;
  }
}
