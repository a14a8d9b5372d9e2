package dev.logq.common.loss;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.logq.common.config.SettingValues;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LossesTest {

  @Test
  void everyNameGivesItsLoss() {
    for (String name : Losses.NAMES) {
      assertEquals(name, Losses.byName(name, true).name());
    }
    assertInstanceOf(NoCorrection.class, Losses.byName("none", true));
    assertInstanceOf(RefinedLogQ.class, Losses.byName("refined", false));
    assertInstanceOf(FullSoftmax.class, Losses.byName("full", true));
    assertInstanceOf(UniformBce.class, Losses.byName("uniform-bce", true));
    assertEquals(Logits.Layout.PER_ROW, Losses.byName("uniform-bce", true).layout());
  }

  /** The registration, not the training setup, says which key counts a loss's extra negatives. */
  @Test
  void eachLossReadsItsOwnNegativesKey() {
    SettingValues v = SettingValues.of(Map.of(LossSettings.UNIFORM_NEGATIVES, 3, LossSettings.BCE_NEGATIVES, 5));
    assertEquals(5, Losses.negatives(UniformBce.NAME, v));
    assertEquals(3, Losses.negatives(RefinedLogQ.NAME, v));
    assertEquals(3, Losses.negatives(StandardLogQ.NAME, v));
  }

  @Test
  void standardCarriesTheFlag() {
    assertTrue(((StandardLogQ) Losses.byName("standard", true)).correctsPositive());
    assertFalse(((StandardLogQ) Losses.byName("standard", false)).correctsPositive());
  }

  @Test
  void unknownNameListsTheValidOnes() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Losses.byName("Refined", true));
    assertEquals("unknown loss 'Refined'; valid names: none, standard, refined, full, uniform-bce", e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> Losses.byName(null, true));
  }
}
