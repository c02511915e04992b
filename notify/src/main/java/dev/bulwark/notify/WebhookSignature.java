package dev.bulwark.notify;

import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The signature of generic webhook notifications, and its check for receivers.
 *
 * <p>A request carries {@code X-Bulwark-Timestamp: <epoch seconds>} and
 * {@code X-Bulwark-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">}, keyed with the route's secret. Signing
 * the timestamp with the body lets a receiver refuse an old request replayed later.
 */
public final class WebhookSignature {

    /** Header of the signing time, epoch seconds. */
    public static final String TIMESTAMP_HEADER = "X-Bulwark-Timestamp";
    /** Header of the signature, {@code sha256=<hex>}. */
    public static final String SIGNATURE_HEADER = "X-Bulwark-Signature";
    /** Header of the delivery id, the same for every redelivery of one notification. */
    public static final String DELIVERY_HEADER = "X-Bulwark-Delivery";
    /** How far a receiver should let the timestamp be from its clock, unless it has reasons to choose otherwise. */
    public static final Duration DEFAULT_TOLERANCE = Duration.ofMinutes(5);

    private WebhookSignature() {
    }

    /** {@code sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>}. */
    public static String sign(String secret, long timestampSeconds, byte[] body) {
        return "sha256=" + HexFormat.of().formatHex(hmac(secret, timestampSeconds, body));
    }

    /**
     * True when {@code signatureHeader} is the signature of {@code body} at {@code timestampHeader} with
     * {@code secret}, and that timestamp is within {@code tolerance} of {@code now}. Compares in constant time; any
     * malformed header is simply false.
     */
    public static boolean verify(String secret, String timestampHeader, byte[] body, String signatureHeader,
                                 Instant now, Duration tolerance) {
        if (secret == null || timestampHeader == null || body == null || signatureHeader == null
                || !timestampHeader.matches("[0-9]{1,12}") || !signatureHeader.startsWith("sha256=")) {
            return false;
        }
        long timestamp = Long.parseLong(timestampHeader);
        if (Math.abs(now.getEpochSecond() - timestamp) > tolerance.toSeconds()) {
            return false;
        }
        byte[] given;
        try {
            given = HexFormat.of().parseHex(signatureHeader.substring("sha256=".length()).toLowerCase(java.util.Locale.ROOT));
        } catch (IllegalArgumentException e) {
            return false;
        }
        return MessageDigest.isEqual(hmac(secret, timestamp, body), given);
    }

    private static byte[] hmac(String secret, long timestampSeconds, byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            mac.update((timestampSeconds + ".").getBytes(StandardCharsets.US_ASCII));
            return mac.doFinal(body);
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException("HMAC-SHA256 is not available in this JVM", e);
        }
    }
}
