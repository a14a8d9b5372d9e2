package dev.logq.common.model;

import dev.logq.common.config.TrainSettings;
import dev.logq.common.model.tower.IdTower;
import dev.logq.common.model.tower.InputKind;
import dev.logq.common.model.tower.TowerShape;
import dev.logq.common.model.tower.UserTower;
import java.io.Serializable;
import java.util.Arrays;
import java.util.Objects;

/**
 * The shape and hyper-parameters of a two-tower model (the config keys {@code logq.model.*} plus the
 * catalog sizes and the seed). Immutable; build with {@link #builder()}; {@link Builder#build()} checks
 * every field and names the offending one.
 *
 * <p>Tower output sizes: a tower without an MLP outputs its embedding ({@code embeddingDim} values); a
 * tower with an MLP ends in a linear layer of {@code outputDim} units. Both towers must output the same
 * size, so when either tower has no MLP, {@code outputDim} must equal {@code embeddingDim}.
 */
public final class ModelSpec implements Serializable {

  private static final long serialVersionUID = 1L;

  private final int numUsers;
  private final int numItems;
  private final UserTower userTower;
  private final int embeddingDim;
  private final int[] userMlp;
  private final int[] itemMlp;
  private final int outputDim;
  private final boolean l2Normalize;
  private final double temperature;
  private final double initStd;
  private final long seed;

  private ModelSpec(Builder b) {
    this.numUsers = b.numUsers;
    this.numItems = b.numItems;
    this.userTower = b.userTower;
    this.embeddingDim = b.embeddingDim;
    this.userMlp = b.userMlp.clone();
    this.itemMlp = b.itemMlp.clone();
    this.outputDim = b.outputDim;
    this.l2Normalize = b.l2Normalize;
    this.temperature = b.temperature;
    this.initStd = b.initStd;
    this.seed = b.seed;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** A builder preset with this spec's values. */
  public Builder toBuilder() {
    return new Builder()
        .numUsers(numUsers).numItems(numItems).userTower(userTower).embeddingDim(embeddingDim).userMlp(userMlp).itemMlp(itemMlp)
        .outputDim(outputDim).l2Normalize(l2Normalize).temperature(temperature).initStd(initStd).seed(seed);
  }

  public int numUsers() {
    return numUsers;
  }

  public int numItems() {
    return numItems;
  }

  /** The user tower, with its own settings (e.g. the history tower's length and pooling). */
  public UserTower userTower() {
    return userTower;
  }

  /** The sizes the user tower is built against. */
  public TowerShape towerShape() {
    return new TowerShape(numUsers, numItems, embeddingDim);
  }

  public int embeddingDim() {
    return embeddingDim;
  }

  /** Hidden layer sizes of the user tower's MLP (empty: no MLP). A copy. */
  public int[] userMlp() {
    return userMlp.clone();
  }

  /** Hidden layer sizes of the item tower's MLP (empty: no MLP). A copy. */
  public int[] itemMlp() {
    return itemMlp.clone();
  }

  public int outputDim() {
    return outputDim;
  }

  public boolean l2Normalize() {
    return l2Normalize;
  }

  public double temperature() {
    return temperature;
  }

  public double initStd() {
    return initStd;
  }

  public long seed() {
    return seed;
  }

  /** Size of both towers' output (the retrieval embedding). */
  public int towerOutputDim() {
    return outputDim;
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof ModelSpec)) {
      return false;
    }
    ModelSpec s = (ModelSpec) o;
    return numUsers == s.numUsers && numItems == s.numItems && userTower.equals(s.userTower)
        && embeddingDim == s.embeddingDim && Arrays.equals(userMlp, s.userMlp) && Arrays.equals(itemMlp, s.itemMlp)
        && outputDim == s.outputDim && l2Normalize == s.l2Normalize
        && Double.compare(temperature, s.temperature) == 0 && Double.compare(initStd, s.initStd) == 0
        && seed == s.seed;
  }

  @Override
  public int hashCode() {
    return Objects.hash(numUsers, numItems, userTower, embeddingDim,
        Arrays.hashCode(userMlp), Arrays.hashCode(itemMlp), outputDim, l2Normalize, temperature, initStd, seed);
  }

  @Override
  public String toString() {
    return "ModelSpec{numUsers=" + numUsers + ", numItems=" + numItems + ", " + towerDescription()
        + ", embeddingDim=" + embeddingDim + ", userMlp=" + Arrays.toString(userMlp)
        + ", itemMlp=" + Arrays.toString(itemMlp) + ", outputDim=" + outputDim + ", l2Normalize=" + l2Normalize
        + ", temperature=" + temperature + ", initStd=" + initStd + ", seed=" + seed + "}";
  }

  /** The tower's settings as "key=value" pairs, e.g. "userTower=history, historyLength=20, ...". */
  private String towerDescription() {
    StringBuilder b = new StringBuilder();
    userTower.settings().forEach((k, v) -> b.append(b.length() == 0 ? "" : ", ").append(k).append('=').append(v));
    return b.toString();
  }

  /**
   * The rule between the head's sizes (the configuration checks it through here too): a tower without an
   * MLP outputs its embedding, so when either has none, outputDim must equal embeddingDim.
   */
  public static boolean outputDimFits(int embeddingDim, int[] userMlp, int[] itemMlp, int outputDim) {
    return (userMlp.length > 0 && itemMlp.length > 0) || outputDim == embeddingDim;
  }

  /** Mutable builder; defaults are the declared settings' (catalog sizes have none and must be set). */
  public static final class Builder {
    private int numUsers = -1;
    private int numItems = -1;
    private UserTower userTower = new IdTower();
    private int embeddingDim = ModelSettings.EMBEDDING_DIM.defaultValue();
    private int[] userMlp = new int[0];
    private int[] itemMlp = new int[0];
    private int outputDim = ModelSettings.OUTPUT_DIM.defaultValue();
    private boolean l2Normalize = ModelSettings.L2_NORMALIZE.defaultValue();
    private double temperature = ModelSettings.TEMPERATURE.defaultValue();
    private double initStd = ModelSettings.INIT_STD.defaultValue();
    private long seed = TrainSettings.SEED.defaultValue();

    private Builder() {}

    /** Users with an embedding (id tower); may be 0 for towers that read the user's items. */
    public Builder numUsers(int value) {
      numUsers = value;
      return this;
    }

    public Builder numItems(int value) {
      numItems = value;
      return this;
    }

    public Builder userTower(UserTower value) {
      userTower = value;
      return this;
    }

    public Builder embeddingDim(int value) {
      embeddingDim = value;
      return this;
    }

    public Builder userMlp(int... hidden) {
      userMlp = hidden == null ? new int[0] : hidden.clone();
      return this;
    }

    public Builder itemMlp(int... hidden) {
      itemMlp = hidden == null ? new int[0] : hidden.clone();
      return this;
    }

    public Builder outputDim(int value) {
      outputDim = value;
      return this;
    }

    public Builder l2Normalize(boolean value) {
      l2Normalize = value;
      return this;
    }

    public Builder temperature(double value) {
      temperature = value;
      return this;
    }

    public Builder initStd(double value) {
      initStd = value;
      return this;
    }

    public Builder seed(long value) {
      seed = value;
      return this;
    }

    /** Validates and builds; an invalid field fails with its config key and value. */
    public ModelSpec build() {
      if (numItems < 1) {
        throw new IllegalArgumentException("model: numItems must be >= 1, got " + numItems);
      }
      if (userTower == null) {
        throw new IllegalArgumentException("model.userTower must be set");
      }
      if (userTower.input() == InputKind.USER_IDS && numUsers < 1) {
        throw new IllegalArgumentException("model: numUsers must be >= 1 with userTower = " + userTower.name() + ", got " + numUsers);
      }
      if (numUsers < 0) {
        numUsers = 0;
      }
      if (embeddingDim < 1) {
        throw new IllegalArgumentException("model.embeddingDim must be >= 1, got " + embeddingDim);
      }
      if (outputDim < 1) {
        throw new IllegalArgumentException("model.outputDim must be >= 1, got " + outputDim);
      }
      checkHidden("model.userMlp", userMlp);
      checkHidden("model.itemMlp", itemMlp);
      if (!outputDimFits(embeddingDim, userMlp, itemMlp, outputDim)) {
        throw new IllegalArgumentException("model.outputDim (" + outputDim + ") must equal model.embeddingDim ("
            + embeddingDim + ") because " + (userMlp.length == 0 ? "model.userMlp" : "model.itemMlp")
            + " is empty (a tower without an MLP outputs its embedding)");
      }
      if (!(temperature > 0.0) || Double.isInfinite(temperature)) {
        throw new IllegalArgumentException("model.temperature must be a finite number > 0, got " + temperature);
      }
      if (!(initStd > 0.0) || Double.isInfinite(initStd)) {
        throw new IllegalArgumentException("model.initStd must be a finite number > 0, got " + initStd);
      }
      return new ModelSpec(this);
    }

    private static void checkHidden(String key, int[] hidden) {
      for (int i = 0; i < hidden.length; i++) {
        if (hidden[i] < 1) {
          throw new IllegalArgumentException(key + "[" + i + "] must be >= 1, got " + hidden[i] + " in "
              + Arrays.toString(hidden));
        }
      }
    }
  }
}
