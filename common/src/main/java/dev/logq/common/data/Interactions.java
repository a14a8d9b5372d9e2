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
 * The indexed form the job trains and evaluates on ({@code dev.logq.job.Pipeline}) has the columns
 * {@value #USER_INDEX} and {@value #ITEM_INDEX} (int, dense from 0), {@value #TIME} (long) and weight.
 */
public final class Interactions {
  public static final String USER = "user";
  public static final String ITEM = "item";
  public static final String TIMESTAMP = "timestamp";
  public static final String WEIGHT = "weight";
  /** The dense user index (int) of the indexed table. */
  public static final String USER_INDEX = "user_idx";
  /** The dense item index (int) of the indexed table. */
  public static final String ITEM_INDEX = "item_idx";
  /** The time (long) of the indexed table: the timestamp, or the input order. */
  public static final String TIME = "ts";

  private Interactions() {
  }
}
