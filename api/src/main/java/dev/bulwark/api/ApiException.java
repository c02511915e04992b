package dev.bulwark.api;

/**
 * A request the API answers with an error status and a readable message (sent as JSON).
 *
 * <p>Why: validation, authentication and lookups fail in many places; one exception type carries the status and the
 * message that is safe to show to the caller up to the one place that writes responses.
 */
public final class ApiException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final int status;

    public ApiException(int status, String message) {
        super(message);
        this.status = status;
    }

    /** The HTTP status. */
    public int status() {
        return status;
    }

    /** 400 with {@code message}. */
    public static ApiException badRequest(String message) {
        return new ApiException(400, message);
    }

    /** 404 for a finding that does not exist or is outside the caller's scope (the two are indistinguishable). */
    public static ApiException notFound() {
        return new ApiException(404, "no such finding");
    }
}
