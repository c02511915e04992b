package dev.bulwark.ingest;

/** A record could not be normalized; the message is the reason stored in the dead letter. */
public class ParseException extends Exception {

    private static final long serialVersionUID = 1L;

    public ParseException(String message) {
        super(message);
    }

    public ParseException(String message, Throwable cause) {
        super(message, cause);
    }
}
