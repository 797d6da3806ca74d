package io.pgdock.core.internal;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.SocketFactory;
import org.jspecify.annotations.Nullable;

/**
 * The socket factory {@link BoundedLogin} gives pgjdbc (its {@code socketFactory} property, with the attempt's id as
 * {@code socketFactoryArg}): its sockets keep one deadline for the whole login. Not API; public only because pgjdbc
 * instantiates it by name (so a module descriptor must export this package to {@code org.postgresql.jdbc}).
 *
 * <p><b>How.</b> Until the login ends, every TCP connect and every blocking read of a socket of the attempt is given at
 * most the time left until the deadline (less, if pgjdbc asks for less, as it does while it waits for the answer to a TLS
 * request); once the deadline has passed, a connect or read fails at once with a {@link SocketTimeoutException}. So
 * pgjdbc's fallbacks (from TLS to plain text for {@code sslmode=prefer}, the next host of a multi-host spec) cannot add up
 * to more than the one timeout, and the thread that logs in is the one that returns: nothing is left blocked on the
 * socket. When the login has ended (and for every socket made after that, such as a cancel request's), reads wait as
 * long as pgjdbc's own timeout says, which is the spec's {@code socketTimeout} or none: nothing changes for the
 * connection's later life. The attempt also records how far the login got (accepted, bytes received), for the message.
 *
 * <p>Thread-safe.
 */
public final class LoginDeadlineSocketFactory extends SocketFactory {

    private final @Nullable Attempt attempt;

    /**
     * Called by pgjdbc.
     *
     * @param attemptId the {@code socketFactoryArg} {@link BoundedLogin} set; an unknown id (an attempt that ended)
     *     gives plain sockets
     */
    public LoginDeadlineSocketFactory(@Nullable String attemptId) {
        this.attempt = attemptId == null ? null : Attempt.ACTIVE.get(attemptId);
        if (attempt != null) {
            attempt.engaged = true;
        }
    }

    @Override
    public Socket createSocket() {
        return attempt == null || attempt.ended ? new Socket() : new DeadlineSocket(attempt);
    }

    @Override
    public Socket createSocket(String host, int port) throws IOException {
        return new Socket(host, port);
    }

    @Override
    public Socket createSocket(String host, int port, InetAddress localHost, int localPort)
            throws IOException, UnknownHostException {
        return new Socket(host, port, localHost, localPort);
    }

    @Override
    public Socket createSocket(InetAddress host, int port) throws IOException {
        return new Socket(host, port);
    }

    @Override
    public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort)
            throws IOException {
        return new Socket(address, port, localAddress, localPort);
    }

    /** The failure of a connect or read once the login's deadline has passed. */
    static final class DeadlineExpired extends SocketException {
        private static final long serialVersionUID = 1L;

        DeadlineExpired() {
            super("the login deadline has passed");
        }
    }

    /** One login: its deadline, and what happened before it. */
    static final class Attempt {
        static final Map<String, Attempt> ACTIVE = new ConcurrentHashMap<>();
        private static final AtomicLong IDS = new AtomicLong();

        final String id = "pgdock-login-" + IDS.incrementAndGet();
        private final long deadlineNanos;
        /** Set when pgjdbc made this class's factory for the attempt; false if it could not, or made another copy. */
        volatile boolean engaged;
        volatile boolean ended;
        volatile boolean expired;
        volatile boolean accepted;
        final AtomicLong received = new AtomicLong();

        private Attempt(Duration timeout) {
            this.deadlineNanos = System.nanoTime() + timeout.toNanos();
        }

        static Attempt start(Duration timeout) {
            Attempt a = new Attempt(timeout);
            ACTIVE.put(a.id, a);
            return a;
        }

        /** Ends the attempt: its sockets read as pgjdbc says from now on. */
        void end() {
            ended = true;
            ACTIVE.remove(id);
        }

        /** Milliseconds left, at least 1 while any time is left; 0 once the deadline has passed. */
        int remainingMillis() {
            long left = deadlineNanos - System.nanoTime();
            if (left <= 0) {
                return 0;
            }
            return (int) Math.max(1, Math.min(Integer.MAX_VALUE, TimeUnit.NANOSECONDS.toMillis(left)));
        }

        /**
         * Marks the attempt expired. The failure is not a {@link SocketTimeoutException}: pgjdbc reads on after one
         * when it has no read timeout of its own, and falls back to another connection after one for
         * {@code sslmode=prefer}; a passed deadline must end the login instead.
         */
        DeadlineExpired expire(@Nullable SocketTimeoutException cause) {
            expired = true;
            DeadlineExpired e = new DeadlineExpired();
            if (cause != null) {
                e.initCause(cause);
            }
            return e;
        }

        LoginTimeoutException.Stage stage() {
            if (!accepted) {
                return LoginTimeoutException.Stage.NOT_ACCEPTED;
            }
            return received.get() == 0 ? LoginTimeoutException.Stage.NOTHING_RECEIVED
                    : LoginTimeoutException.Stage.LOGIN_UNFINISHED;
        }
    }

    /** A socket whose connect and reads keep the attempt's deadline until the attempt ends. */
    private static final class DeadlineSocket extends Socket {
        private final Attempt attempt;
        private volatile int requested;   // the read timeout pgjdbc asked for
        private volatile int applied;     // the one set on the socket now
        /** Whether the last read was given the time left until the deadline rather than pgjdbc's timeout. */
        private volatile boolean capped;
        private @Nullable InputStream in;   // guarded by this

        DeadlineSocket(Attempt attempt) {
            this.attempt = attempt;
        }

        @Override
        public void connect(SocketAddress endpoint) throws IOException {
            connect(endpoint, 0);
        }

        @Override
        public void connect(SocketAddress endpoint, int timeout) throws IOException {
            if (attempt.ended) {
                super.connect(endpoint, timeout);
                return;
            }
            int left = attempt.remainingMillis();
            if (left == 0) {
                throw attempt.expire(null);
            }
            boolean capped = timeout == 0 || left <= timeout;
            try {
                super.connect(endpoint, capped ? left : timeout);
            } catch (SocketTimeoutException e) {
                throw capped ? attempt.expire(e) : e;
            }
            attempt.accepted = true;
        }

        @Override
        public synchronized void setSoTimeout(int timeout) throws SocketException {
            super.setSoTimeout(timeout);
            requested = timeout;
            applied = timeout;
        }

        @Override
        public synchronized int getSoTimeout() {
            return requested;
        }

        @Override
        public synchronized InputStream getInputStream() throws IOException {
            if (in == null) {
                in = new DeadlineInput(super.getInputStream());
            }
            return in;
        }

        /** Before a blocking read: the read timeout to use now. */
        private void beforeRead() throws IOException {
            if (attempt.ended) {
                capped = false;
                if (applied != requested) {
                    super.setSoTimeout(requested);
                    applied = requested;
                }
                return;
            }
            int left = attempt.remainingMillis();
            if (left == 0) {
                throw attempt.expire(null);
            }
            capped = requested == 0 || left <= requested;
            int wanted = capped ? left : requested;
            if (wanted != applied) {
                super.setSoTimeout(wanted);
                applied = wanted;
            }
        }

        /**
         * A read timeout as it should reach pgjdbc: the deadline's own failure when the time the read was given was the
         * time left until the deadline, else as it is (pgjdbc's own, shorter timeout).
         */
        private IOException afterTimeout(SocketTimeoutException e) {
            return !attempt.ended && capped ? attempt.expire(e) : e;
        }

        private final class DeadlineInput extends FilterInputStream {
            DeadlineInput(InputStream in) {
                super(in);
            }

            @Override
            public int read() throws IOException {
                beforeRead();
                try {
                    int b = super.read();
                    if (b >= 0) {
                        attempt.received.incrementAndGet();
                    }
                    return b;
                } catch (SocketTimeoutException e) {
                    throw afterTimeout(e);
                }
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                beforeRead();
                try {
                    int n = super.read(b, off, len);
                    if (n > 0) {
                        attempt.received.addAndGet(n);
                    }
                    return n;
                } catch (SocketTimeoutException e) {
                    throw afterTimeout(e);
                }
            }
        }
    }
}
