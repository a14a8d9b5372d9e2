package dev.logq.common.data;

/**
 * Column names of the normalised interaction table every input format is read into
 * ({@code dev.logq.job.ingest.InteractionReader}), and of its indexed form.
 *
 * <pre>
 *   user       string  not null   the original user id (numbers as their decimal text)
 *   item       string  not null   the original item id
 *   timestamp  long    not null   the input's timestamp, or the input order when there is none
 *   weight     double  not null   the input's weight (finite, >= 0), or 1
 * </pre>
 * After id indexing, {@code user_index} and {@code item_index} (int, dense from 0) are added.
 */
public final class Interactions {
  public static final String USER = "user";
  public static final String ITEM = "item";
  public static final String TIMESTAMP = "timestamp";
  public static final String WEIGHT = "weight";
  public static final String USER_INDEX = "user_index";
  public static final String ITEM_INDEX = "item_index";

  private Interactions() {
  }
}
