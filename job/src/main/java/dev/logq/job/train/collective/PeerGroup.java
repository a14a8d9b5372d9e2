package dev.logq.job.train.collective;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.handler.codec.LengthFieldPrepender;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.spark.TaskContext;

/**
 * N workers ("ranks" 0..N-1) that talk to each other directly over TCP, for the per-round collectives of
 * synchronous training ({@link Collectives}, {@link ShardedExchange}). The driver only introduces them: each
 * worker {@link #listen}s on an ephemeral port of its own host, the addresses are exchanged once (in Spark
 * through the checkpoint directory, see {@link FileRendezvous}), then every worker {@link #connect}s to all
 * others. Transport: Netty 4.1 (the version Spark itself ships; see docs/decisions.md).
 *
 * <p>Connections: rank a sends to rank b on a connection a opened to b (its "outbound" to b) and receives from
 * b on the connection b opened to a ("inbound" from b); each pair has two TCP connections, each used in one
 * direction. Frames (after a 4-byte big-endian length written by Netty's {@link LengthFieldPrepender}):
 * <pre>
 *   byte type (1 HELLO, 2 DATA, 3 BYE), int tag, payload
 *   HELLO payload: int rank, int size, UTF-8 group id (the first frame on every connection; a connection
 *                  from another group, e.g. a stale attempt of the same barrier stage, is refused)
 *   DATA payload:  the collective's bytes; tag = the collective's sequence number, the same on every rank
 *   BYE:           the sender is closing cleanly ({@link #close})
 *   ABORT payload: int culprit rank, UTF-8 reason: the sender's group failed (sent to every peer before it
 *                  drops its connections, so that the others report the first cause, not the cascade)
 * </pre>
 * Messages from one peer arrive in send order; {@link #receive} takes the next one from a given peer and
 * checks its tag, so collectives must be called in the same order on every rank (they are: each round runs
 * the same code). Failure: a peer whose connection drops without a BYE, an I/O error, a receive that waits
 * longer than {@link Options#receiveTimeout}, or a protocol error fails the whole group at once: every
 * blocked and later call throws a {@link PeerFailureException} naming the peer, and the group closes its
 * connections, so the other peers fail within milliseconds too (not after their own timeouts).
 *
 * <p>Thread-safety: {@link #send} may be called from any thread; {@link #receive} for one peer from one
 * thread at a time.
 */
public final class PeerGroup implements AutoCloseable {

  /** Timeouts and sizes. */
  public record Options(Duration connectTimeout, Duration receiveTimeout, Duration closeTimeout, int ioThreads,
                        int maxFrameBytes) {
    public static Options defaults() {
      return new Options(Duration.ofSeconds(30), Duration.ofSeconds(120), Duration.ofSeconds(5), 2,
          Integer.MAX_VALUE - 64);
    }

    public Options withReceiveTimeout(Duration timeout) {
      return new Options(connectTimeout, timeout, closeTimeout, ioThreads, maxFrameBytes);
    }
  }

  static final byte HELLO = 1;
  static final byte DATA = 2;
  static final byte BYE = 3;
  static final byte ABORT = 4;
  /** How long a dropped connection (either direction) waits for the peer's ABORT (which names the real culprit). */
  static final long OUTBOUND_DROP_GRACE_MILLIS = 250;

  private record Frame(byte type, int tag, byte[] payload) {}

  private static final Frame POISON = new Frame((byte) 0, 0, null);

  private final String groupId;
  private final int rank;
  private final int size;
  private final Options options;
  private final EventLoopGroup loop;
  private final Channel server;
  private final String address;
  private final List<LinkedBlockingQueue<Frame>> mailboxes = new ArrayList<>();
  private final Channel[] inbound;
  private final Channel[] outbound;
  private final java.util.concurrent.atomic.AtomicIntegerArray byeFrom;
  private final CountDownLatch hellos;
  private final CountDownLatch byes;
  private volatile String[] addresses;
  private final AtomicReference<PeerFailureException> failure = new AtomicReference<>();
  private final AtomicBoolean closing = new AtomicBoolean();
  private final java.util.Queue<ChannelFuture> abortWrites = new java.util.concurrent.ConcurrentLinkedQueue<>();

  private PeerGroup(String groupId, int rank, int size, String host, Options options) {
    if (size < 1 || rank < 0 || rank >= size) {
      throw new IllegalArgumentException("rank " + rank + " of a group of " + size);
    }
    this.groupId = groupId;
    this.rank = rank;
    this.size = size;
    this.options = options;
    this.inbound = new Channel[size];
    this.outbound = new Channel[size];
    this.byeFrom = new java.util.concurrent.atomic.AtomicIntegerArray(size);
    this.hellos = new CountDownLatch(size - 1);
    this.byes = new CountDownLatch(size - 1);
    for (int i = 0; i < size; i++) {
      mailboxes.add(new LinkedBlockingQueue<>());
    }
    this.loop = new NioEventLoopGroup(options.ioThreads(), new DefaultThreadFactory("logq-peer-" + rank, true));
    try {
      ServerBootstrap b = new ServerBootstrap()
          .group(loop)
          .channel(NioServerSocketChannel.class)
          .childOption(ChannelOption.TCP_NODELAY, true)
          .childHandler(new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(SocketChannel ch) {
              ch.pipeline().addLast(new LengthFieldBasedFrameDecoder(options.maxFrameBytes(), 0, 4, 0, 4),
                  new InboundHandler());
            }
          });
      this.server = b.bind(new InetSocketAddress(host, 0)).syncUninterruptibly().channel();
      this.address = host + ":" + ((InetSocketAddress) server.localAddress()).getPort();
    } catch (RuntimeException e) {
      loop.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
      throw e;
    }
  }

  /**
   * Starts listening on an ephemeral port of {@code host} (the executor's own host name or address, never a
   * wildcard). {@code groupId} must be the same on all ranks and differ between attempts.
   */
  public static PeerGroup listen(String groupId, int rank, int size, String host, Options options) {
    return new PeerGroup(groupId, rank, size, host, options);
  }

  /** "host:port" this rank listens on: what the rendezvous publishes. */
  public String address() {
    return address;
  }

  public int rank() {
    return rank;
  }

  public int size() {
    return size;
  }

  /** Every rank's address, by rank, or null before {@link #connect}. */
  public List<String> addresses() {
    String[] a = addresses;
    return a == null ? null : List.of(a);
  }

  /**
   * Connects to every other rank (addresses by rank, as the rendezvous returned them) and waits until every
   * other rank has connected here, at most {@link Options#connectTimeout}.
   */
  public void connect(List<String> addressesByRank) {
    if (addressesByRank.size() != size) {
      throw new IllegalArgumentException("rendezvous returned " + addressesByRank.size() + " addresses for a group of "
          + size);
    }
    if (!addressesByRank.get(rank).equals(address)) {
      throw new IllegalArgumentException("rank " + rank + " listens on " + address + " but the rendezvous lists "
          + addressesByRank.get(rank));
    }
    this.addresses = addressesByRank.toArray(new String[0]);
    long deadline = System.nanoTime() + options.connectTimeout().toNanos();
    Bootstrap b = new Bootstrap()
        .group(loop)
        .channel(NioSocketChannel.class)
        .option(ChannelOption.TCP_NODELAY, true)
        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE,
            options.connectTimeout().toMillis()));
    for (int peer = 0; peer < size; peer++) {
      if (peer == rank) {
        continue;
      }
      final int p = peer;
      b.handler(new ChannelInitializer<SocketChannel>() {
        @Override
        protected void initChannel(SocketChannel ch) {
          ch.pipeline().addLast(new LengthFieldPrepender(4), new OutboundHandler(p));
        }
      });
      String[] hostPort = splitAddress(addresses[p]);
      ChannelFuture f = b.connect(hostPort[0], Integer.parseInt(hostPort[1]));
      if (!f.awaitUninterruptibly(Math.max(1, (deadline - System.nanoTime()) / 1_000_000)) || !f.isSuccess()) {
        throw fail(p, "could not connect to rank " + p + " (" + addresses[p] + ") from rank " + rank, f.cause());
      }
      outbound[p] = f.channel();
      ByteBuf hello = Unpooled.buffer();
      byte[] id = groupId.getBytes(StandardCharsets.UTF_8);
      hello.writeByte(HELLO).writeInt(0).writeInt(rank).writeInt(size).writeBytes(id);
      outbound[p].writeAndFlush(hello).addListener(w -> {
        if (!w.isSuccess()) {
          failAfterGrace(p, "could not greet rank " + p + " (" + addresses[p] + ")", w.cause());
        }
      });
    }
    try {
      if (!hellos.await(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
        StringBuilder missing = new StringBuilder();
        for (int p = 0; p < size; p++) {
          if (p != rank && inbound[p] == null) {
            missing.append(missing.length() == 0 ? "" : ", ").append(p).append(" (").append(addresses[p]).append(')');
          }
        }
        throw fail(-1, "rank " + rank + " timed out after " + options.connectTimeout().toMillis()
            + " ms waiting for ranks " + missing + " to connect", null);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw fail(-1, "interrupted while connecting", e);
    }
    checkFailure();
  }

  private static String[] splitAddress(String hostPort) {
    int colon = hostPort.lastIndexOf(':');
    return new String[] {hostPort.substring(0, colon), hostPort.substring(colon + 1)};
  }

  /** Sends {@code payload} to {@code peer} (asynchronously; the array must not change afterwards). */
  public void send(int peer, int tag, byte[] payload) {
    checkPeer(peer);
    checkFailure();
    ByteBuf header = Unpooled.buffer(5).writeByte(DATA).writeInt(tag);
    outbound[peer].writeAndFlush(Unpooled.wrappedBuffer(header, Unpooled.wrappedBuffer(payload))).addListener(w -> {
      if (!w.isSuccess()) {
        failAfterGrace(peer, "could not send to rank " + peer + " (" + addressOf(peer) + ")", w.cause());
      }
    });
  }

  /**
   * For a write that failed because the peer dropped the connection: a peer that gave up drops its inbound
   * connections at once but sends its ABORT (the first cause) on its own outbound one, which can arrive a little
   * later. Waiting {@link #OUTBOUND_DROP_GRACE_MILLIS} lets the ABORT win, so every rank reports the cause, not
   * "could not send" (seen in CI: the rank that reported first to Spark named the cascade).
   */
  private void failAfterGrace(int peer, String message, Throwable cause) {
    failAfterGrace(peer, message, cause, false);
  }

  /**
   * The one place that waits {@link #OUTBOUND_DROP_GRACE_MILLIS} before failing the group for a lost connection or
   * write, so that a cause on its way on another channel (a peer's ABORT naming a third rank) wins. Nothing fails
   * while this rank is closing, nor, when {@code excusedByBye}, once the peer has said BYE (it left cleanly).
   */
  private void failAfterGrace(int peer, String message, Throwable cause, boolean excusedByBye) {
    java.util.function.BooleanSupplier stillFailing = () -> failure.get() == null && !closing.get()
        && !(excusedByBye && byeFrom.get(peer) != 0);
    if (!stillFailing.getAsBoolean()) {
      return;
    }
    try {
      loop.schedule(() -> {
        if (stillFailing.getAsBoolean()) {
          fail(peer, message, cause);
        }
      }, OUTBOUND_DROP_GRACE_MILLIS, TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.RejectedExecutionException shuttingDown) {
      fail(peer, message, cause);
    }
  }

  /**
   * Throws Spark's TaskKilledException when this runs in a task whose job was cancelled (the job group does not
   * interrupt its tasks, it only flags them): a wait for a peer whose task was killed, or never launched, would
   * otherwise last until its timeout. Outside a Spark task (the tests' peers on threads) it does nothing.
   */
  static void stopIfTaskCancelled() {
    TaskContext task = TaskContext.get();
    if (task != null) {
      task.killTaskIfInterrupted();
    }
  }

  /**
   * The next message from {@code peer}, which must carry {@code tag}; waits at most
   * {@link Options#receiveTimeout}.
   *
   * @throws PeerFailureException when the group failed, the peer left or died, or the wait timed out
   */
  public byte[] receive(int peer, int tag) {
    checkPeer(peer);
    checkFailure();
    Frame f;
    try {
      // In slices, so that a task of a cancelled job stops waiting (stopIfTaskCancelled).
      long deadline = System.nanoTime() + options.receiveTimeout().toNanos();
      long slice = TimeUnit.MILLISECONDS.toNanos(200);
      do {
        f = mailboxes.get(peer).poll(Math.min(slice, Math.max(0, deadline - System.nanoTime())), TimeUnit.NANOSECONDS);
        if (f == null) {
          checkFailure();
          stopIfTaskCancelled();
        }
      } while (f == null && System.nanoTime() < deadline);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw fail(peer, "rank " + rank + " was interrupted waiting for rank " + peer, e);
    }
    checkFailure();
    if (f == null) {
      throw fail(peer, "rank " + rank + " timed out after " + options.receiveTimeout().toMillis()
          + " ms waiting for rank " + peer + " (" + addressOf(peer) + "), message " + tag, null);
    }
    if (f.type() == BYE) {
      throw fail(peer, "rank " + peer + " (" + addressOf(peer) + ") left the group while rank " + rank
          + " waited for its message " + tag, null);
    }
    if (f.tag() != tag) {
      throw fail(peer, "protocol error: rank " + rank + " expected message " + tag + " from rank " + peer + " ("
          + addressOf(peer) + "), got " + f.tag(), null);
    }
    return f.payload();
  }

  private void checkPeer(int peer) {
    if (peer < 0 || peer >= size || peer == rank) {
      throw new IllegalArgumentException("rank " + rank + " cannot exchange with rank " + peer + " in a group of "
          + size);
    }
    if (addresses == null) {
      throw new IllegalStateException("connect() first");
    }
  }

  private void checkFailure() {
    PeerFailureException f = failure.get();
    if (f != null) {
      throw new PeerFailureException(f.peer(), f.getMessage(), f);
    }
  }

  private String addressOf(int peer) {
    String[] a = addresses;
    return a == null || peer < 0 ? "?" : a[peer];
  }

  /** Records the first failure, wakes every waiting receive and drops the connections; returns the exception. */
  PeerFailureException fail(int peer, String message, Throwable cause) {
    PeerFailureException e = new PeerFailureException(peer, message
        + (cause != null ? ": " + cause : ""), cause);
    if (failure.compareAndSet(null, e)) {
      for (LinkedBlockingQueue<Frame> m : mailboxes) {
        m.offer(POISON);
      }
      boolean aborting = !closing.get();
      if (aborting) {
        abortPeers(peer, e.getMessage()); // closes each outbound connection once its ABORT is written
      }
      closeChannels(!aborting);
      return e;
    }
    PeerFailureException first = failure.get();
    return new PeerFailureException(first.peer(), first.getMessage(), first);
  }

  /** Best effort: tells every connected peer why this rank gives up, then closes (see ABORT). */
  private void abortPeers(int culprit, String reason) {
    byte[] text = reason.getBytes(StandardCharsets.UTF_8);
    for (int p = 0; p < size; p++) {
      Channel c = outbound[p];
      if (c != null && c.isActive()) {
        ByteBuf frame = Unpooled.buffer(9 + text.length).writeByte(ABORT).writeInt(0).writeInt(culprit)
            .writeBytes(text);
        abortWrites.add(c.writeAndFlush(frame).addListener(ChannelFutureListener.CLOSE));
      }
    }
  }

  private void closeChannels(boolean outboundToo) {
    if (outboundToo) {
      for (Channel c : outbound) {
        if (c != null) {
          c.close();
        }
      }
    }
    for (Channel c : inbound) {
      if (c != null) {
        c.close();
      }
    }
    server.close();
  }

  /**
   * Leaves the group cleanly: tells every peer (BYE), waits up to {@link Options#closeTimeout} for theirs,
   * then closes the connections and stops the I/O threads. Idempotent.
   */
  @Override
  public void close() {
    if (!closing.compareAndSet(false, true)) {
      return;
    }
    try {
      if (failure.get() == null && addresses != null) {
        for (int p = 0; p < size; p++) {
          if (p != rank && outbound[p] != null) {
            outbound[p].writeAndFlush(Unpooled.buffer(5).writeByte(BYE).writeInt(0));
          }
        }
        try {
          byes.await(options.closeTimeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    } finally {
      for (ChannelFuture f : abortWrites) {
        f.awaitUninterruptibly(500); // let the ABORTs reach the peers before the connections go
      }
      closeChannels(true);
      loop.shutdownGracefully(0, 100, TimeUnit.MILLISECONDS).awaitUninterruptibly(2000);
    }
  }

  /**
   * Leaves the group because this rank failed (e.g. its gradient threw): the others fail at once with a
   * {@link PeerFailureException} naming this rank and {@code reason}, instead of seeing a clean BYE. Call it in
   * the task's catch block, before {@link #close} (which then only releases resources).
   */
  public void abort(String reason) {
    fail(rank, "rank " + rank + " (" + address + ") failed: " + reason, null);
    close();
  }

  /** Test hook: dies like a killed process (connections drop, no BYE). */
  void crash() {
    closing.set(true);
    closeChannels(true);
    loop.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
  }

  /** Receives one peer's frames on the connection it opened to this rank. */
  private final class InboundHandler extends ChannelInboundHandlerAdapter {
    private int from = -1;

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      ByteBuf buf = (ByteBuf) msg;
      try {
        byte type = buf.readByte();
        int tag = buf.readInt();
        if (from < 0) {
          if (type != HELLO || buf.readableBytes() < 8) {
            ctx.close();
            return;
          }
          int peer = buf.readInt();
          int peerSize = buf.readInt();
          String id = buf.toString(buf.readerIndex(), buf.readableBytes(), StandardCharsets.UTF_8);
          if (!id.equals(groupId) || peerSize != size || peer < 0 || peer >= size || peer == rank) {
            ctx.close(); // another group (a stale attempt) or a stray connection: not ours
            return;
          }
          synchronized (inbound) {
            if (inbound[peer] != null) {
              fail(peer, "protocol error: rank " + peer + " connected to rank " + rank + " twice", null);
              return;
            }
            inbound[peer] = ctx.channel();
          }
          from = peer;
          hellos.countDown();
          return;
        }
        if (type == ABORT) {
          int culprit = buf.readInt();
          String reason = buf.toString(buf.readerIndex(), buf.readableBytes(), StandardCharsets.UTF_8);
          int sender = from;
          fail(culprit >= 0 ? culprit : sender, "rank " + sender + " (" + addressOf(sender) + ") gave up: "
              + reason, null);
          return;
        }
        if (type == BYE) {
          byeFrom.set(from, 1);
          byes.countDown();
          mailboxes.get(from).offer(new Frame(BYE, tag, null));
          return;
        }
        byte[] payload = new byte[buf.readableBytes()];
        buf.readBytes(payload);
        mailboxes.get(from).offer(new Frame(type, tag, payload));
      } finally {
        buf.release();
      }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      int peer = from;
      if (peer >= 0) {
        // As for a dropped outbound connection: the peer may have closed because a third rank failed, and its
        // ABORT (naming that rank) can still be on its way on another channel's event loop.
        failAfterGrace(peer, "rank " + rank + " lost the connection from rank " + peer + " (" + addressOf(peer)
            + "): the peer died or closed without leaving the group", null, true);
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      if (!closing.get()) {
        fail(from, "I/O error on the connection from rank " + from + " (" + addressOf(from) + ")", cause);
      }
      ctx.close();
    }
  }

  /** Watches the connection this rank opened to {@code peer} (it only writes on it). */
  private final class OutboundHandler extends ChannelInboundHandlerAdapter {
    private final int peer;

    OutboundHandler(int peer) {
      this.peer = peer;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      ((ByteBuf) msg).release();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      // The peer may have dropped it because a third rank failed: its ABORT (on the other connection of the pair)
      // gets a moment to arrive, so that the error names the first cause.
      failAfterGrace(peer, "rank " + rank + " lost the connection to rank " + peer + " (" + addressOf(peer)
          + "): the peer died or closed without leaving the group", null, true);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      if (!closing.get()) {
        fail(peer, "I/O error on the connection to rank " + peer + " (" + addressOf(peer) + ")", cause);
      }
      ctx.close();
    }
  }
}
