package dev.logq.job.split;

import dev.logq.job.split.SplitSettings.SplitMethod;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/** Train and evaluable test interactions with the counts a run reports (metrics.json). */
public final class SplitResult {
  private final SplitMethod method;
  private final Dataset<Row> train;
  private final Dataset<Row> test;
  private final long trainRows;
  private final long testRows;
  private final long testRowsBeforeColdStart;
  private final long coldItemTestRows;
  private final long coldUserTestRows;
  private final long coldUsers;
  private final boolean coldUsersKept;
  private final Long temporalCut;
  private final MinCountFilter.Result filter;
  private final List<Dataset<Row>> cached;

  SplitResult(SplitMethod method, Dataset<Row> train, Dataset<Row> test, long trainRows, long testRows,
      long testRowsBeforeColdStart, long coldItemTestRows, long coldUserTestRows, long coldUsers, boolean coldUsersKept,
      Long temporalCut, MinCountFilter.Result filter, List<Dataset<Row>> cached) {
    this.method = method;
    this.train = train;
    this.test = test;
    this.trainRows = trainRows;
    this.testRows = testRows;
    this.testRowsBeforeColdStart = testRowsBeforeColdStart;
    this.coldItemTestRows = coldItemTestRows;
    this.coldUserTestRows = coldUserTestRows;
    this.coldUsers = coldUsers;
    this.coldUsersKept = coldUsersKept;
    this.temporalCut = temporalCut;
    this.filter = filter;
    this.cached = List.copyOf(cached);
  }

  public SplitMethod method() {
    return method;
  }

  /** Training interactions (columns as the input). */
  public Dataset<Row> train() {
    return train;
  }

  /** Test interactions that can be evaluated: items all occur in train; users too unless {@link #coldUsersKept()}. */
  public Dataset<Row> test() {
    return test;
  }

  public long trainRows() {
    return trainRows;
  }

  /** Rows of {@link #test()}. */
  public long testRows() {
    return testRows;
  }

  /** Test rows the split produced, before the cold-start rules. */
  public long testRowsBeforeColdStart() {
    return testRowsBeforeColdStart;
  }

  /** Test rows removed because their item does not occur in train. */
  public long coldItemTestRows() {
    return coldItemTestRows;
  }

  /** Test rows (of known items) whose user does not occur in train: removed, or kept if {@link #coldUsersKept()}. */
  public long coldUserTestRows() {
    return coldUserTestRows;
  }

  /** Distinct test users absent from train. */
  public long coldUsers() {
    return coldUsers;
  }

  /** True for the history user tower, which can embed users unseen in training. */
  public boolean coldUsersKept() {
    return coldUsersKept;
  }

  /** temporal: the cut t* (test is timestamp &gt; t*); null for other methods. */
  public Long temporalCut() {
    return temporalCut;
  }

  /** Share of the split's rows (before the cold-start rules) that went to test. */
  public double realisedTestShare() {
    return (double) testRowsBeforeColdStart / (trainRows + testRowsBeforeColdStart);
  }

  /** The min-count filter's outcome, or null when the split was called directly. */
  public MinCountFilter.Result filter() {
    return filter;
  }

  /** The counts, for metrics.json. */
  public Map<String, Object> stats() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("method", method.configName());
    if (filter != null) {
      m.put("rowsBeforeMinCountFilter", filter.rowsBefore());
      m.put("minCountFilterRounds", filter.rounds());
      m.put("usersRemovedByMinCount", filter.usersRemoved());
      m.put("itemsRemovedByMinCount", filter.itemsRemoved());
      m.put("rowsRemovedByMinCount", filter.rowsRemoved());
    }
    m.put("trainRows", trainRows);
    m.put("testRowsBeforeColdStart", testRowsBeforeColdStart);
    m.put("coldItemTestRowsRemoved", coldItemTestRows);
    m.put("coldUserTestRows", coldUserTestRows);
    m.put("coldUserTestRowsKept", coldUsersKept);
    m.put("coldUsers", coldUsers);
    m.put("testRows", testRows);
    m.put("realisedTestShare", realisedTestShare());
    if (temporalCut != null) {
      m.put("temporalCut", temporalCut);
    }
    return m;
  }

  /** Releases what the filter and split cached. */
  public void unpersist() {
    for (Dataset<Row> d : cached) {
      d.unpersist();
    }
    if (filter != null) {
      filter.unpersist();
    }
  }
}
