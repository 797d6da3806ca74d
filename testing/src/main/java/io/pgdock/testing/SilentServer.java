package io.pgdock.testing;

import io.pgdock.core.ConnectionSpec;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * A local TCP server that accepts connections and never answers: the peer of a field report where a login hangs (a hung
 * server, a proxy or load balancer with no working backend, a firewall that lets the handshake through and drops the
 * rest). A client that connects gets its TCP connection at once, and then not a single byte.
 *
 * <pre>{@code
 * try (SilentServer silent = SilentServer.start()) {
 *     ConnectionSpec spec = silent.redirect(PG.spec()).toBuilder().connectTimeout(Duration.ofSeconds(2)).build();
 *     assertThatThrownBy(() -> Storage.open(spec)) ...;      // must fail within about 2 s, not hang
 *     assertThat(silent.accepted()).isPositive();           // it did get that far
 *     assertThat(silent.awaitOpen(0, Duration.ofSeconds(5))).isTrue();   // and closed its sockets again
 * }
 * }</pre>
 *
 * <p><b>Forwarding.</b> {@link #forwardingTo(String, int)} starts it as a plain TCP proxy to a real server instead, so that
 * a test can open something through it first (a {@code Storage}, a pool) and then make the server go silent under it:
 * {@link #silence()} stops all forwarding, in both directions, on the connections open then and on every later one. The
 * bytes a client sends after that are read and dropped, so the client sees a peer that is there and says nothing, which
 * is what a network partition or a frozen server looks like.
 *
 * <p><b>Counts.</b> {@link #accepted()} counts the connections accepted so far; {@link #open()} those whose client has
 * not closed them yet (a client's close is seen as the end of its stream), so a test can check that a client that gave
 * up also let go of its socket ({@link #awaitOpen(int, Duration)}).
 *
 * <p><b>Resources.</b> It listens on {@code 127.0.0.1} on a free port, with one daemon thread accepting, one per silent
 * connection and two per forwarded one. {@link #close()} closes the listening socket and every connection and waits
 * briefly for the threads to end; it is idempotent.
 *
 * <p><b>Thread safety.</b> Thread-safe.
 */
public final class SilentServer implements AutoCloseable {
    private static final Duration JOIN_TIMEOUT = Duration.ofSeconds(5);

    private final ServerSocket listener;
    private final @Nullable InetSocketAddress upstream;
    private final Thread acceptor;
    private final Set<Socket> clients = ConcurrentHashMap.newKeySet();
    private final Set<Socket> upstreams = ConcurrentHashMap.newKeySet();
    private final List<Thread> threads = new ArrayList<>();   // guarded by this
    private volatile boolean silent;
    private volatile boolean closed;
    private int accepted;   // guarded by this
    private int open;       // guarded by this

    private SilentServer(@Nullable InetSocketAddress upstream) {
        this.upstream = upstream;
        this.silent = upstream == null;
        try {
            this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot listen on 127.0.0.1: " + e.getMessage(), e);
        }
        this.acceptor = new Thread(this::acceptLoop, "pgdock-silent-server-" + listener.getLocalPort());
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /**
     * Starts a server that accepts every connection and never sends a byte.
     *
     * @return the running server
     * @throws UncheckedIOException if it cannot listen
     */
    public static SilentServer start() {
        return new SilentServer(null);
    }

    /**
     * Starts a proxy that forwards every connection to {@code host:port} until {@link #silence()} is called.
     *
     * @param host the real server's host, for example {@code spec.host()}
     * @param port its port
     * @return the running proxy
     * @throws UncheckedIOException if it cannot listen
     * @throws IllegalArgumentException if the port is not 1 to 65535
     */
    public static SilentServer forwardingTo(String host, int port) {
        Objects.requireNonNull(host, "host");
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port must be 1 to 65535, but was " + port);
        }
        return new SilentServer(new InetSocketAddress(host, port));
    }

    /**
     * The port it listens on, on {@code 127.0.0.1}.
     *
     * @return the port
     */
    public int port() {
        return listener.getLocalPort();
    }

    /**
     * {@code spec} with its server replaced by this one ({@code 127.0.0.1} and {@link #port()}); everything else kept.
     *
     * @param spec a spec, usually a real server's (which a forwarding server then reaches)
     * @return the spec pointing here
     */
    public ConnectionSpec redirect(ConnectionSpec spec) {
        return spec.toBuilder().host("127.0.0.1").port(port()).build();
    }

    /**
     * Stops answering: forwarding stops on every open connection, in both directions, and every later connection is
     * accepted and left silent. A server made by {@link #start()} is silent from the start. Cannot be undone.
     */
    public void silence() {
        silent = true;
    }

    /**
     * How many connections it has accepted since it started.
     *
     * @return the count
     */
    public synchronized int accepted() {
        return accepted;
    }

    /**
     * How many accepted connections are still open: neither their client nor (when forwarding) the server has closed
     * them, and {@link #close()} has not run.
     *
     * @return the count
     */
    public synchronized int open() {
        return open;
    }

    /**
     * Waits until {@link #open()} is {@code count}, for example 0 once a client that gave up has closed its sockets.
     *
     * @param count the number of open connections to wait for
     * @param timeout the longest wait
     * @return whether the count was reached in time
     * @throws InterruptedException if interrupted while waiting
     */
    public synchronized boolean awaitOpen(int count, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (open != count) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            TimeUnit.NANOSECONDS.timedWait(this, left);
        }
        return true;
    }

    /**
     * Waits until {@link #accepted()} is at least {@code count}.
     *
     * @param count the number of accepted connections to wait for
     * @param timeout the longest wait
     * @return whether that many were accepted in time
     * @throws InterruptedException if interrupted while waiting
     */
    public synchronized boolean awaitAccepted(int count, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (accepted < count) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            TimeUnit.NANOSECONDS.timedWait(this, left);
        }
        return true;
    }

    private void acceptLoop() {
        while (!closed) {
            Socket client;
            try {
                client = listener.accept();
            } catch (IOException e) {
                return;   // closed
            }
            clients.add(client);
            synchronized (this) {
                accepted++;
                open++;
                notifyAll();
            }
            if (closed) {
                clientGone(client);   // accepted as close() ran
                return;
            }
            if (silent) {
                startThread("silent", () -> drain(client));
            } else {
                startThread("forward", () -> forward(client));
            }
        }
    }

    private void forward(Socket client) {
        Socket server = new Socket();
        try {
            upstreams.add(server);
            server.connect(upstream, (int) Duration.ofSeconds(5).toMillis());
            startThread("back", () -> pump(server, client, false));
            pump(client, server, true);
        } catch (IOException e) {
            // Upstream unreachable: the client sees a silent peer until it gives up.
            drain(client);
        } finally {
            closeQuietly(server);
            upstreams.remove(server);
        }
    }

    /** Copies {@code from} to {@code to} until silenced (then drops what it reads) or the end of the stream. */
    private void pump(Socket from, Socket to, boolean fromClient) {
        byte[] buffer = new byte[8192];
        try {
            InputStream in = from.getInputStream();
            OutputStream out = to.getOutputStream();
            int n;
            while ((n = in.read(buffer)) >= 0) {
                if (!silent) {
                    out.write(buffer, 0, n);
                    out.flush();
                }
            }
        } catch (IOException e) {
            // One side closed, or close() ran.
        } finally {
            if (fromClient) {
                clientGone(from);
                if (!silent) {
                    closeQuietly(to);
                }
            } else if (!silent) {
                closeQuietly(to);   // the server ended the session: so does the client's connection
            }
        }
    }

    /** Reads and drops what the client sends, until it closes. */
    private void drain(Socket client) {
        byte[] buffer = new byte[8192];
        try {
            InputStream in = client.getInputStream();
            while (in.read(buffer) >= 0) {
                // dropped
            }
        } catch (IOException e) {
            // reset by the client, or close() ran
        } finally {
            clientGone(client);
        }
    }

    private void clientGone(Socket client) {
        closeQuietly(client);
        if (clients.remove(client)) {
            synchronized (this) {
                open--;
                notifyAll();
            }
        }
    }

    private void startThread(String role, Runnable body) {
        Thread t = new Thread(body, "pgdock-silent-server-" + port() + "-" + role);
        t.setDaemon(true);
        synchronized (this) {
            if (closed) {
                return;
            }
            threads.add(t);
        }
        t.start();
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException e) {
            // closing anyway
        }
    }

    /** Closes the listening socket and every connection, and waits up to 5 s for its threads to end. Idempotent. */
    @Override
    public void close() {
        List<Thread> running;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            running = new ArrayList<>(threads);
        }
        try {
            listener.close();
        } catch (IOException e) {
            // closing anyway
        }
        for (Socket s : clients) {
            clientGone(s);   // counted here, whether or not its thread ever started
        }
        for (Socket s : upstreams) {
            closeQuietly(s);
        }
        long deadline = System.nanoTime() + JOIN_TIMEOUT.toNanos();
        running.add(acceptor);
        for (Thread t : running) {
            try {
                t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** The port, whether it forwards, and the counts. */
    @Override
    public String toString() {
        return "SilentServer[127.0.0.1:" + port() + (upstream == null ? "" : " forwarding to " + upstream.getHostString()
                + ":" + upstream.getPort() + (silent ? ", silenced" : "")) + ", accepted " + accepted() + ", open "
                + open() + "]";
    }
}
