package dev.bulwark.schemas;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Deterministic ids for events and findings.
 *
 * <p>Why: replaying the same input must give the same ids, so the Elasticsearch sink overwrites instead of duplicating.
 */
public final class Ids {

    private Ids() {
    }

    /** First 128 bits of SHA-256 over the parts, joined with a separator no part can fake, as hex. */
    public static String of(String... parts) {
        MessageDigest digest = sha256();
        for (String part : parts) {
            byte[] bytes = (part == null ? "\u0000null" : part).getBytes(StandardCharsets.UTF_8);
            digest.update(Integer.toString(bytes.length).getBytes(StandardCharsets.US_ASCII));
            digest.update((byte) ':');
            digest.update(bytes);
        }
        return HexFormat.of().formatHex(digest.digest(), 0, 16);
    }

    /** Id of a source record: its format and exact bytes. */
    public static String ofRecord(String format, byte[] original) {
        MessageDigest digest = sha256();
        digest.update(format.getBytes(StandardCharsets.UTF_8));
        digest.update((byte) 0);
        digest.update(original);
        return HexFormat.of().formatHex(digest.digest(), 0, 16);
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by the Java platform", e);
        }
    }
}
