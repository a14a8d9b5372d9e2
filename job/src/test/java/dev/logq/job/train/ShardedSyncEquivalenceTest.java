package dev.logq.job.train;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.logq.common.model.TableInit;
import dev.logq.common.model.TensorPatch;
import dev.logq.common.model.TensorStore;
import dev.logq.common.optim.Optimizer;
import dev.logq.common.optim.Optimizers;
import dev.logq.job.train.collective.Collectives;
import dev.logq.job.train.collective.OwnerShard;
import dev.logq.job.train.collective.Peers;
import dev.logq.job.train.collective.RowOwnership;
import dev.logq.job.train.collective.ShardedExchange;
import dev.logq.job.train.collective.ShardedExchangeTest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The owner-sharded exchange with the sharded optimizer state gives the rounds backend's model bit for bit:
 * the same gradients through {@link Averaging#apply} on one master model (what the driver does) and through
 * reduce-scatter, {@link OwnerShard#step} and all-gather on N replicas end in identical parameters on every
 * replica, identical per-round patches, and an optimizer state whose shards reassemble into the driver's.
 */
@Timeout(120)
class ShardedSyncEquivalenceTest {

  static final Map<String, Integer> TABLES = Map.of("item", 5000, "user", 3000);

  static TensorStore initialModel() {
    TensorStore m = new TensorStore();
    m.addTable("item", 5000, 8, TableInit.gaussian(11L, 0.1));
    m.addTable("user", 3000, 8, TableInit.gaussian(12L, 0.1));
    float[] w = new float[37];
    for (int i = 0; i < w.length; i++) {
      w[i] = (float) Math.sin(i);
    }
    m.putDense("mlp.w0", w);
    m.putDense("mlp.b0", new float[] {0.5f});
    m.putDense("mlp.unused", new float[] {1f, -1f, 2f}); // never in a gradient: Adam still moves it
    return m;
  }

  static long examples(int round, int rank) {
    return round == 2 && rank == 1 ? 0 : 100 + 7 * rank + round; // one rank without examples once
  }

  static TensorPatch grad(int round, int rank) {
    return examples(round, rank) == 0 ? new TensorPatch()
        : ShardedExchangeTest.gradient(31L * round + rank, 300, 8, TABLES);
  }

  @ParameterizedTest
  @CsvSource({"adam, 1", "adam, 3", "adam, 4", "adagrad, 3", "sgd, 2"})
  void sameBitsAsTheDriversAveraging(String optimizerName, int n) throws Exception {
    int rounds = 5;
    Optimizer optimizer = Optimizers.create(optimizerName, 0.01, 0.9, 0.999, 1e-8);
    TensorStore master = initialModel();
    TensorStore state = optimizer.newState(master);
    List<TensorPatch> patches = new ArrayList<>();
    for (int round = 0; round < rounds; round++) {
      List<Averaging.Contribution> contributions = new ArrayList<>();
      for (int r = 0; r < n; r++) {
        if (examples(round, r) > 0) {
          contributions.add(new Averaging.Contribution(examples(round, r), grad(round, r), null));
        }
      }
      patches.add(Averaging.apply(contributions, master, state, optimizer, round + 1, false).params);
    }

    RowOwnership ownership = new RowOwnership(n, 2024L, TABLES);
    var outcomes = Peers.run(n, Peers.options(Duration.ofSeconds(30)), Duration.ofSeconds(60), g -> {
      TensorStore replica = initialModel();
      OwnerShard shard = OwnerShard.of(replica, null, ownership, g.rank(), optimizer);
      ShardedExchange exchange = new ShardedExchange(new Collectives(g), ownership);
      List<TensorPatch> seen = new ArrayList<>();
      for (int round = 0; round < rounds; round++) {
        long version = round + 1;
        ShardedExchange.Outcome o = exchange.round(grad(round, g.rank()), examples(round, g.rank()),
            owned -> shard.step(owned, version));
        replica.applyPatch(o.newValues());
        seen.add(o.newValues());
      }
      return new Object[] {replica, shard, seen};
    });
    TensorStore assembledParams = initialModel();
    TensorStore assembledState = optimizer.newState(assembledParams);
    for (int r = 0; r < n; r++) {
      Object[] v = outcomes.get(r).get();
      assertTrue(master.bitwiseEquals((TensorStore) v[0]), "rank " + r + "'s replica differs from the master model");
      @SuppressWarnings("unchecked")
      List<TensorPatch> seen = (List<TensorPatch>) v[2];
      for (int round = 0; round < rounds; round++) {
        assertTrue(patches.get(round).bitwiseEquals(seen.get(round)), "rank " + r + ", round " + round + ": patch");
      }
      ((OwnerShard) v[1]).scatterInto(assembledParams, assembledState);
    }
    assertTrue(master.bitwiseEquals(assembledParams), "shards do not reassemble into the model");
    assertTrue(state.bitwiseEquals(assembledState), "sharded optimizer state differs from the driver's");
  }
}
