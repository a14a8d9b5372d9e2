package dev.logq.common.model.tower;

import dev.logq.common.config.Setting;
import dev.logq.common.config.SettingReader;
import dev.logq.common.config.SettingValues;
import dev.logq.common.model.ModelSettings;
import java.util.List;

/** The settings of {@link SequenceTower} ({@code model.userTower = sequence}), declared beside it. */
public final class SequenceSettings {
  /** The tower's lines in model.userTower's documentation. */
  public static final String DOC = """
      sequence: a SASRec-style causal transformer over windows of the user's items, trained on every
      position (each position's positive is the next item); embeds a user from their last sequenceLength
      items (serves unseen users).""";
  public static final Setting<Integer> SEQUENCE_LENGTH = Setting.integer("model.sequenceLength", 200, 1, 100_000, """
      sequence tower: L, the items of a training window and of an embedded user's input.""");
  public static final Setting<Integer> SEQUENCE_BLOCKS = Setting.integer("model.sequenceBlocks", 2, 0, 64, """
      sequence tower: transformer blocks (causal self-attention + feed-forward).""");
  public static final Setting<Integer> SEQUENCE_HEADS = Setting.integer("model.sequenceHeads", 1, 1, 1024, """
      sequence tower: attention heads; must divide embeddingDim.""");
  public static final Setting<Integer> SEQUENCE_HIDDEN = Setting.integer("model.sequenceHidden", 0, 0, 65_536, """
      sequence tower: hidden size of the feed-forward layers; 0 for embeddingDim.""");
  public static final Setting<Double> SEQUENCE_DROPOUT = Setting.number("model.sequenceDropout", 0.2, 0, true, 1, false, """
      sequence tower: dropout rate on the embeddings, attention and feed-forward outputs (training only).""");
  public static final Setting<Boolean> SEQUENCE_SHARED_EMBEDDINGS = Setting.flag("model.sequenceSharedEmbeddings", true, """
      sequence tower: the encoder reads item.embedding, the item tower's table (SASRec's choice: half the
      largest tensor, and an item's input vector also learns from its target and negative roles); false
      gives the encoder its own input table.""");
  public static final Setting<Integer> SEQUENCE_STRIDE = Setting.integer("model.sequenceStride", 0, 0, 100_000_000, """
      sequence tower: training windows end at each user's last training item and every sequenceStride
      items before it; 0 for sequenceLength (the windows tile the history, every position trained once);
      a stride below sequenceLength overlaps them, one above the longest history keeps only the last window.""");

  public static final List<Setting<?>> SETTINGS = List.of(SEQUENCE_LENGTH, SEQUENCE_BLOCKS, SEQUENCE_HEADS,
      SEQUENCE_HIDDEN, SEQUENCE_DROPOUT, SEQUENCE_SHARED_EMBEDDINGS, SEQUENCE_STRIDE);

  private SequenceSettings() {}

  /** The checks across keys: the heads split model.embeddingDim (UserTowers runs it when the tower is chosen). */
  static void check(SettingReader r) {
    int heads = r.get(SEQUENCE_HEADS);
    int embeddingDim = r.get(ModelSettings.EMBEDDING_DIM);
    if (embeddingDim % heads != 0) {
      r.problem("model.sequenceHeads", heads,
          "a divisor of model.embeddingDim (" + embeddingDim + "): each head attends over embeddingDim / heads");
    }
  }

  /** The tower these settings describe. */
  static SequenceTower tower(SettingValues v) {
    return new SequenceTower(v.get(SEQUENCE_LENGTH), v.get(SEQUENCE_BLOCKS), v.get(SEQUENCE_HEADS),
        v.get(SEQUENCE_HIDDEN), v.get(SEQUENCE_DROPOUT), v.get(SEQUENCE_SHARED_EMBEDDINGS), v.get(SEQUENCE_STRIDE));
  }
}
