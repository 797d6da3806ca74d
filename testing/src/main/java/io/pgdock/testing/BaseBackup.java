package io.pgdock.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * A base backup of a running server without {@code pg_basebackup} (which zonky's binaries do not have), as
 * PostgreSQL's documentation describes it under "Making a Base Backup Using the Low Level API", and the files that
 * make the copy a streaming standby; for {@link ThrowawayPostgres#startStandby()}.
 *
 * <p><b>The copy.</b> Between {@code pg_backup_start(label, fast => true)} and {@code pg_backup_stop()}, on one
 * session, the data directory is copied file by file. Left out, as the documentation says: the files in
 * {@code pg_wal} (the standby streams the log from the backup's start, which the primary keeps for its replication
 * slot), {@code postmaster.pid} and {@code postmaster.opts} (the standby writes its own), the contents of
 * {@code pg_replslot}, {@code pg_dynshmem}, {@code pg_notify}, {@code pg_serial}, {@code pg_snapshots},
 * {@code pg_stat_tmp} and {@code pg_subtrans} (rebuilt at start), {@code pgsql_tmp*} and {@code pg_internal.init*};
 * also zonky's {@code epg-lock}, which the standby's zonky creates for itself, and a backup's own files. Files that
 * vanish during the copy are skipped, as the documentation allows: replaying the log redoes what happened to them.
 * {@code global/pg_control}, which the server rewrites in place, is read until two reads agree. {@code pg_backup_stop}'s
 * label goes into the copy as {@code backup_label} (and its tablespace map as {@code tablespace_map}, though a
 * primary with tablespaces is refused before, and symbolic links fail the copy).
 *
 * <p><b>The standby.</b> {@link #makeStandby} writes {@code standby.signal} and puts {@code primary_conninfo} and
 * {@code primary_slot_name} into the copy's {@code postgresql.auto.conf}, dropping the primary's
 * {@code synchronous_standby_names} from it, so that the standby, once promoted, waits for no standby of its own.
 *
 * <p>Stateless; thread-safe as long as no two calls share a target.
 */
final class BaseBackup {

    /** Top-level directories whose contents a base backup leaves out: the server rebuilds them. */
    private static final Set<String> EMPTIED_DIRECTORIES = Set.of("pg_replslot", "pg_dynshmem", "pg_notify",
            "pg_serial", "pg_snapshots", "pg_stat_tmp", "pg_subtrans");
    /** Top-level files a base backup leaves out: the running server's, a backup's own, zonky's lock, temporary files. */
    private static final Set<String> SKIPPED_FILES = Set.of("postmaster.pid", "postmaster.opts", "epg-lock",
            "backup_label", "tablespace_map", "backup_manifest", "postgresql.auto.conf.tmp", "current_logfiles.tmp");

    private BaseBackup() {
    }

    /**
     * Copies the data directory of the server that {@code session} is connected to into {@code target}, an empty
     * directory, between {@code pg_backup_start} and {@code pg_backup_stop}, and writes {@code backup_label}. If the
     * copy fails, closing the session aborts the backup.
     *
     * @param session a superuser's session on the server, used for nothing else meanwhile
     * @param dataDirectory the server's data directory
     * @param target the new data directory
     * @param label the backup's label, in {@code backup_label}
     */
    static void copy(Connection session, Path dataDirectory, Path target, String label)
            throws IOException, SQLException {
        try (PreparedStatement s = session.prepareStatement("SELECT pg_backup_start(?, true)")) {
            s.setString(1, label);
            s.execute();
        }
        copyDataDirectory(dataDirectory, target);
        try (Statement s = session.createStatement();
                ResultSet rs = s.executeQuery("SELECT labelfile, spcmapfile FROM pg_backup_stop(false)")) {
            rs.next();
            Files.writeString(target.resolve("backup_label"), rs.getString(1), StandardCharsets.UTF_8);
            String tablespaceMap = rs.getString(2);
            if (tablespaceMap != null && !tablespaceMap.isEmpty()) {
                Files.writeString(target.resolve("tablespace_map"), tablespaceMap, StandardCharsets.UTF_8);
            }
        }
    }

    /**
     * Makes a copy a streaming standby: {@code standby.signal}, and {@code primary_conninfo} and
     * {@code primary_slot_name} in {@code postgresql.auto.conf}.
     *
     * @param target the copy
     * @param primaryConnInfo a libpq connection string to the primary, without quotes
     * @param slotName the replication slot on the primary
     */
    static void makeStandby(Path target, String primaryConnInfo, String slotName) throws IOException {
        Files.createFile(target.resolve("standby.signal"));
        Path autoConf = target.resolve("postgresql.auto.conf");
        List<String> lines = new ArrayList<>();
        if (Files.exists(autoConf)) {
            for (String line : Files.readAllLines(autoConf, StandardCharsets.UTF_8)) {
                if (!setsAny(line, "primary_conninfo", "primary_slot_name", "synchronous_standby_names")) {
                    lines.add(line);
                }
            }
        }
        lines.add("# The standby's connection to its primary, by pgdock-testing's ThrowawayPostgres.startStandby()");
        lines.add("primary_conninfo = '" + primaryConnInfo + "'");
        lines.add("primary_slot_name = '" + slotName + "'");
        Files.write(autoConf, lines, StandardCharsets.UTF_8);
    }

    /** Whether a line of {@code postgresql.auto.conf} sets one of the settings. */
    static boolean setsAny(String line, String... names) {
        String stripped = line.strip();
        return Arrays.stream(names).anyMatch(name -> stripped.startsWith(name)
                && stripped.substring(name.length()).stripLeading().startsWith("="));
    }

    private static void copyDataDirectory(Path source, Path target) throws IOException {
        Files.walkFileTree(source, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path directory, BasicFileAttributes attributes)
                    throws IOException {
                Path relative = source.relativize(directory);
                if (relative.toString().isEmpty()) {
                    return FileVisitResult.CONTINUE; // the target exists
                }
                if (directory.getFileName().toString().startsWith("pgsql_tmp")) {
                    return FileVisitResult.SKIP_SUBTREE;
                }
                Files.createDirectory(target.resolve(relative.toString()),
                        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
                return relative.getNameCount() == 1 && EMPTIED_DIRECTORIES.contains(relative.toString())
                        ? FileVisitResult.SKIP_SUBTREE : FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attributes) throws IOException {
                Path relative = source.relativize(file);
                String name = file.getFileName().toString();
                if (attributes.isSymbolicLink()) {
                    throw new IOException("The data directory has a symbolic link, " + file + ", which a standby of"
                            + " a ThrowawayPostgres cannot copy (tablespaces, or pg_wal elsewhere)");
                }
                if ((relative.getNameCount() == 1 && SKIPPED_FILES.contains(name)) || relative.startsWith("pg_wal")
                        || name.startsWith("pgsql_tmp") || name.startsWith("pg_internal.init")) {
                    return FileVisitResult.CONTINUE; // pg_wal's directories are copied, its files streamed
                }
                Path copy = target.resolve(relative.toString());
                try {
                    if (relative.equals(Path.of("global", "pg_control"))) {
                        copyControlFile(file, copy);
                    } else {
                        Files.copy(file, copy, StandardCopyOption.COPY_ATTRIBUTES);
                    }
                } catch (NoSuchFileException vanished) {
                    // Dropped while the copy ran, like a table's file: the standby replays the drop.
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
                if (e instanceof NoSuchFileException) {
                    return FileVisitResult.CONTINUE;
                }
                throw e;
            }
        });
    }

    /**
     * Copies {@code global/pg_control}, which the server rewrites in place while it runs: reads it until two reads in
     * a row agree, so that the copy is not torn by a write in the middle of a read.
     */
    private static void copyControlFile(Path file, Path copy) throws IOException {
        byte[] previous = Files.readAllBytes(file);
        for (int attempt = 0; attempt < 100; attempt++) {
            byte[] current = Files.readAllBytes(file);
            if (Arrays.equals(previous, current)) {
                Files.createFile(copy, PosixFilePermissions.asFileAttribute(
                        PosixFilePermissions.fromString("rw-------")));
                Files.write(copy, current);
                return;
            }
            previous = current;
        }
        throw new IOException(file + " kept changing while it was read, 100 times");
    }
}
