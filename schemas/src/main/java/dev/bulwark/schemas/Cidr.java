package dev.bulwark.schemas;

/**
 * An IPv4 or IPv6 network in CIDR notation, and a parser for IP address literals that never resolves names.
 *
 * <p>Why: {@code cidr} is matched on every event with an address; {@code InetAddress.getByName} may do DNS lookups
 * and allocate, so addresses are parsed by hand. IPv4-mapped IPv6 addresses ({@code ::ffff:10.0.0.1}) match IPv4
 * networks.
 */
public final class Cidr {

    private final byte[] network;
    private final int prefix;

    private Cidr(byte[] network, int prefix) {
        this.network = network;
        this.prefix = prefix;
    }

    /**
     * Parses {@code address/prefix} (a bare address is a single host).
     *
     * @throws IllegalArgumentException when it is not a valid network
     */
    public static Cidr parse(String text) {
        String value = text.strip();
        int slash = value.indexOf('/');
        String address = slash < 0 ? value : value.substring(0, slash);
        byte[] bytes = parseAddress(address);
        if (bytes == null) {
            throw new IllegalArgumentException("'" + address + "' is not an IPv4 or IPv6 address");
        }
        int prefix = bytes.length * 8;
        if (slash >= 0) {
            try {
                prefix = Integer.parseInt(value.substring(slash + 1));
            } catch (NumberFormatException e) {
                prefix = -1;
            }
            if (prefix < 0 || prefix > bytes.length * 8) {
                throw new IllegalArgumentException("invalid prefix length in '" + value + "' (0 to " + bytes.length * 8 + ")");
            }
        }
        return new Cidr(bytes, prefix);
    }

    /** True when {@code address} (text) is an address inside this network. */
    public boolean contains(String address) {
        byte[] bytes = parseAddress(address);
        if (bytes == null) {
            return false;
        }
        if (bytes.length != network.length) {
            bytes = bytes.length == 16 ? mappedIpv4(bytes) : null;
            if (bytes == null || network.length != 4) {
                return false;
            }
        }
        int full = prefix / 8;
        for (int i = 0; i < full; i++) {
            if (bytes[i] != network[i]) {
                return false;
            }
        }
        int rest = prefix % 8;
        if (rest == 0) {
            return true;
        }
        int mask = (0xFF << (8 - rest)) & 0xFF;
        return (bytes[full] & mask) == (network[full] & mask);
    }

    private static byte[] mappedIpv4(byte[] v6) {
        for (int i = 0; i < 10; i++) {
            if (v6[i] != 0) {
                return null;
            }
        }
        if (v6[10] != (byte) 0xFF || v6[11] != (byte) 0xFF) {
            return null;
        }
        return new byte[] {v6[12], v6[13], v6[14], v6[15]};
    }

    /** The bytes of an IPv4 (4) or IPv6 (16) literal, or null. Accepts brackets and a zone id ({@code %eth0}). */
    static byte[] parseAddress(String text) {
        if (text == null) {
            return null;
        }
        String value = text.strip();
        if (value.startsWith("[") && value.endsWith("]")) {
            value = value.substring(1, value.length() - 1);
        }
        int zone = value.indexOf('%');
        if (zone >= 0) {
            value = value.substring(0, zone);
        }
        return value.indexOf(':') >= 0 ? parseIpv6(value) : parseIpv4(value, 0, value.length());
    }

    private static byte[] parseIpv4(String text, int from, int to) {
        byte[] bytes = new byte[4];
        int part = 0;
        int i = from;
        while (part < 4) {
            int start = i;
            int number = 0;
            while (i < to && i - start < 3 && Character.isDigit(text.charAt(i))) {
                number = number * 10 + (text.charAt(i) - '0');
                i++;
            }
            if (i == start || number > 255) {
                return null;
            }
            bytes[part++] = (byte) number;
            if (part < 4) {
                if (i >= to || text.charAt(i) != '.') {
                    return null;
                }
                i++;
            }
        }
        return i == to ? bytes : null;
    }

    private static byte[] parseIpv6(String text) {
        int doubleColon = text.indexOf("::");
        if (doubleColon >= 0 && text.indexOf("::", doubleColon + 1) >= 0) {
            return null;
        }
        byte[] bytes = new byte[16];
        if (doubleColon < 0) {
            return fillGroups(text, bytes, 0, 16) == 16 ? bytes : null;
        }
        String head = text.substring(0, doubleColon);
        String tail = text.substring(doubleColon + 2);
        byte[] tailBytes = new byte[16];
        int headLength = head.isEmpty() ? 0 : fillGroups(head, bytes, 0, 16);
        int tailLength = tail.isEmpty() ? 0 : fillGroups(tail, tailBytes, 0, 16);
        if (headLength < 0 || tailLength < 0 || headLength + tailLength > 14) {
            return null;
        }
        System.arraycopy(tailBytes, 0, bytes, 16 - tailLength, tailLength);
        return bytes;
    }

    /** Parses colon-separated hex groups (the last may be a dotted IPv4) into {@code out}; returns bytes written or -1. */
    private static int fillGroups(String text, byte[] out, int offset, int limit) {
        int written = offset;
        int i = 0;
        while (i <= text.length()) {
            int end = text.indexOf(':', i);
            if (end < 0) {
                end = text.length();
            }
            String group = text.substring(i, end);
            if (group.indexOf('.') >= 0) {
                if (end != text.length() || written + 4 > limit) {
                    return -1;
                }
                byte[] v4 = parseIpv4(group, 0, group.length());
                if (v4 == null) {
                    return -1;
                }
                System.arraycopy(v4, 0, out, written, 4);
                return written + 4;
            }
            if (group.isEmpty() || group.length() > 4 || written + 2 > limit
                    || !group.chars().allMatch(ch -> Character.digit(ch, 16) >= 0)) {
                return -1;
            }
            int value;
            try {
                value = Integer.parseInt(group, 16);
            } catch (NumberFormatException e) {
                return -1;
            }
            out[written++] = (byte) (value >> 8);
            out[written++] = (byte) value;
            if (end == text.length()) {
                break;
            }
            i = end + 1;
        }
        return written;
    }
}
