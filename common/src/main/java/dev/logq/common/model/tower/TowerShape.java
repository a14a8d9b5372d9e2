package dev.logq.common.model.tower;

/**
 * The sizes a user tower is built against, known only once the data is indexed: the catalog sizes and
 * the width of the tower's output rows (the model's {@code embeddingDim}).
 */
public record TowerShape(int numUsers, int numItems, int embeddingDim) implements java.io.Serializable {}
