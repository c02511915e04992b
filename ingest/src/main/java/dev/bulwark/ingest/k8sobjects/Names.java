package dev.bulwark.ingest.k8sobjects;

import static dev.bulwark.ingest.k8sobjects.K8sFields.quote;

import dev.bulwark.ingest.ParseException;

/**
 * Validation of the names that become context keys, tenants and join values, following the rules the API server
 * applies ({@code k8s.io/apimachinery/pkg/util/validation}).
 *
 * <p>Why: keys are built as {@code namespace/name}; a name holding {@code /}, a control character or an upper-case
 * letter never comes from a real API server, and building a key from it would let one object overwrite or shadow
 * another in the compacted topic. Such records are rejected with the rule they break. The checks are hand-written
 * character loops, so their cost is linear in the (bounded) input.
 */
public final class Names {

    /** DNS-1123 label limit (namespace names). */
    static final int MAX_LABEL_LENGTH = 63;
    /** DNS-1123 subdomain limit (pod, service account, network policy names). */
    static final int MAX_SUBDOMAIN_LENGTH = 253;
    /**
     * Bulwark's limit for path-segment names (RBAC objects) and free text such as user names; the API server sets
     * none, but no real object comes close.
     */
    public static final int MAX_TEXT_LENGTH = 1024;

    private Names() {
    }

    /** A DNS-1123 label: namespace names. */
    public static String dnsLabel(String value, String what) throws ParseException {
        if (value.length() > MAX_LABEL_LENGTH || !isLabel(value, 0, value.length())) {
            throw new ParseException(what + " " + quote(value) + " is not a valid Kubernetes name (DNS-1123 label: at most "
                    + MAX_LABEL_LENGTH + " lower-case letters, digits and '-', starting and ending with a letter or digit)");
        }
        return value;
    }

    /** A DNS-1123 subdomain: names of pods, service accounts, network policies. */
    static String dnsSubdomain(String value, String what) throws ParseException {
        boolean valid = value.length() <= MAX_SUBDOMAIN_LENGTH && !value.isEmpty();
        int start = 0;
        while (valid) {
            int dot = value.indexOf('.', start);
            int end = dot < 0 ? value.length() : dot;
            valid = isLabel(value, start, end);
            if (dot < 0) {
                break;
            }
            start = dot + 1;
        }
        if (!valid) {
            throw new ParseException(what + " " + quote(value) + " is not a valid Kubernetes name (DNS-1123 subdomain: at most "
                    + MAX_SUBDOMAIN_LENGTH + " lower-case letters, digits, '-' and '.', each part starting and ending with a "
                    + "letter or digit)");
        }
        return value;
    }

    /**
     * A path-segment name: RBAC roles and bindings, whose names may hold {@code :} (such as
     * {@code system:controller:job-controller}) but never {@code /} or {@code %}, and are not {@code .} or {@code ..}.
     */
    static String pathSegment(String value, String what) throws ParseException {
        if (value.equals(".") || value.equals("..") || value.indexOf('/') >= 0 || value.indexOf('%') >= 0) {
            throw new ParseException(what + " " + quote(value) + " is not a valid Kubernetes name (it must not be '.' or '..' "
                    + "and must not contain '/' or '%')");
        }
        return printable(value, what, MAX_TEXT_LENGTH, false);
    }

    /** Text free of control characters, at most {@code max} characters long. */
    public static String printable(String value, String what, int max, boolean allowEmpty) throws ParseException {
        if (value.isEmpty() && !allowEmpty) {
            throw new ParseException(what + " must not be empty");
        }
        if (value.length() > max) {
            throw new ParseException(what + " is longer than " + max + " characters");
        }
        for (int i = 0; i < value.length(); i++) {
            if (isControl(value.charAt(i))) {
                throw new ParseException(what + " " + quote(value) + " contains a control character at position " + i);
            }
        }
        return value;
    }

    /** A label key: an optional DNS subdomain prefix and '/', then a name of at most 63 characters. */
    static String labelKey(String value, String what) throws ParseException {
        int slash = value.lastIndexOf('/');
        boolean valid = slash != 0 && isQualifiedName(value, slash + 1, value.length());
        if (valid && slash > 0) {
            String prefix = value.substring(0, slash);
            try {
                dnsSubdomain(prefix, what);
            } catch (ParseException e) {
                valid = false;
            }
        }
        if (!valid) {
            throw new ParseException(what + " " + quote(value) + " is not a valid label key (optional DNS subdomain prefix "
                    + "and '/', then at most 63 letters, digits, '-', '_' and '.', starting and ending with a letter or digit)");
        }
        return value;
    }

    /** A label value: empty, or at most 63 letters, digits, '-', '_' and '.', starting and ending alphanumeric. */
    static String labelValue(String value, String what) throws ParseException {
        if (!value.isEmpty() && !isQualifiedName(value, 0, value.length())) {
            throw new ParseException(what + " " + quote(value) + " is not a valid label value (at most 63 letters, digits, "
                    + "'-', '_' and '.', starting and ending with a letter or digit)");
        }
        return value;
    }

    /**
     * A tenant name: the label-value character set, at most 253 characters (annotations and owner names may be
     * longer than label values). Tenants end up in finding attribution, index names and dashboards, so they are held
     * to the strictest shape any source gives them.
     */
    static String tenant(String value, String source) throws ParseException {
        if (value.length() > MAX_SUBDOMAIN_LENGTH || !isQualifiedChars(value, 0, value.length())) {
            throw new ParseException("tenant " + quote(value) + " from " + source + " is not a valid tenant name (at most "
                    + MAX_SUBDOMAIN_LENGTH + " letters, digits, '-', '_' and '.', starting and ending with a letter or digit)");
        }
        return value;
    }

    /** An IPv4 or IPv6 address as the API server prints it (checked by character set only; never resolved). */
    static String ip(String value, String what) throws ParseException {
        boolean valid = !value.isEmpty() && value.length() <= 45;
        for (int i = 0; valid && i < value.length(); i++) {
            char c = value.charAt(i);
            valid = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == '.' || c == ':';
        }
        if (!valid || (value.indexOf('.') < 0 && value.indexOf(':') < 0)) {
            throw new ParseException(what + " " + quote(value) + " is not an IP address");
        }
        return value;
    }

    /** A container runtime id (hex for containerd, CRI-O and Docker): letters and digits only, at most 128. */
    static String containerId(String value, String what) throws ParseException {
        boolean valid = !value.isEmpty() && value.length() <= 128;
        for (int i = 0; valid && i < value.length(); i++) {
            char c = value.charAt(i);
            valid = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        }
        if (!valid) {
            throw new ParseException(what + " " + quote(value) + " is not a container id (letters and digits, at most 128)");
        }
        return value;
    }

    static boolean isControl(char c) {
        return c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0) || c == '\u2028' || c == '\u2029';
    }

    /** [a-z0-9]([-a-z0-9]*[a-z0-9])? over value[start, end). */
    private static boolean isLabel(String value, int start, int end) {
        if (end <= start || end - start > MAX_LABEL_LENGTH) {
            return false;
        }
        for (int i = start; i < end; i++) {
            char c = value.charAt(i);
            boolean alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
            if (!alnum && (c != '-' || i == start || i == end - 1)) {
                return false;
            }
        }
        return true;
    }

    /** A label name part or value: at most 63 of [-A-Za-z0-9_.], alphanumeric at both ends. */
    private static boolean isQualifiedName(String value, int start, int end) {
        return end - start <= MAX_LABEL_LENGTH && isQualifiedChars(value, start, end);
    }

    private static boolean isQualifiedChars(String value, int start, int end) {
        if (end <= start) {
            return false;
        }
        for (int i = start; i < end; i++) {
            char c = value.charAt(i);
            boolean alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
            boolean inner = c == '-' || c == '_' || c == '.';
            if (!alnum && (!inner || i == start || i == end - 1)) {
                return false;
            }
        }
        return true;
    }
}
