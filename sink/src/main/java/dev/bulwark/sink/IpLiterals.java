package dev.bulwark.sink;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.regex.Pattern;

/**
 * Recognizes literal IPv4 and IPv6 addresses without ever resolving a name.
 *
 * <p>Why: evidence fields are attacker-controlled text; only real addresses may go into the {@code ip}-typed ECS fields
 * (anything else would make Elasticsearch reject the whole finding), and {@link InetAddress#getByName} would look a
 * host name up in DNS, so it is only given strings that can only be parsed as IPv6 literals.
 */
public final class IpLiterals {

    private static final Pattern IPV4 = Pattern.compile(
            "((25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)\\.){3}(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)");
    private static final Pattern IPV6_CHARS = Pattern.compile("[0-9A-Fa-f:.]{2,45}");

    private IpLiterals() {
    }

    /** True when {@code value} is a literal IPv4 or IPv6 address (no zone id, no brackets). */
    public static boolean isIp(String value) {
        if (value == null) {
            return false;
        }
        if (IPV4.matcher(value).matches()) {
            return true;
        }
        if (value.indexOf(':') < 0 || !IPV6_CHARS.matcher(value).matches()) {
            return false;
        }
        try {
            // A string holding ':' is parsed as an IPv6 literal and never looked up.
            InetAddress.getByName(value);
            return true;
        } catch (UnknownHostException e) {
            return false;
        }
    }
}
