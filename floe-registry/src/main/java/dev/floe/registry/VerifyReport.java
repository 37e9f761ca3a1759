package dev.floe.registry;

import java.nio.file.Path;
import java.util.List;

/**
 * What {@link Registry#verify()} found after re-hashing every blob.
 *
 * @param versions versions checked
 * @param blobs distinct blobs they reference
 * @param problems missing or corrupted blobs with the versions that use them; empty when all is well
 * @param unreferenced blob hashes that no version uses (left by an interrupted publish; harmless)
 * @param leftovers temporary files left by interrupted writes (safe to delete)
 */
public record VerifyReport(int versions, int blobs, List<Problem> problems, List<String> unreferenced,
        List<Path> leftovers) {

    /**
     * Copies the lists.
     *
     * @param versions versions checked
     * @param blobs distinct blobs they reference
     * @param problems missing or corrupted blobs with the versions that use them; empty when all is
     *     well
     * @param unreferenced blob hashes that no version uses (left by an interrupted publish;
     *     harmless)
     * @param leftovers temporary files left by interrupted writes (safe to delete)
     */
    public VerifyReport {
        problems = List.copyOf(problems);
        unreferenced = List.copyOf(unreferenced);
        leftovers = List.copyOf(leftovers);
    }

    /**
     * A damaged blob.
     *
     * @param blobSha256 the hash the blob should have
     * @param path where it should be
     * @param state {@code missing} or {@code corrupted}
     * @param versions the versions whose weights it holds
     */
    public record Problem(String blobSha256, Path path, String state, List<VersionRef> versions) {
        /**
         * Copies the versions.
         *
         * @param blobSha256 the hash the blob should have
         * @param path where it should be
         * @param state {@code missing} or {@code corrupted}
         * @param versions the versions whose weights it holds
         */
        public Problem {
            versions = List.copyOf(versions);
        }
    }

    /**
     * Whether every referenced blob is present and matches its hash.
     *
     * @return true when nothing is missing or corrupted
     */
    public boolean ok() {
        return problems.isEmpty();
    }
}
