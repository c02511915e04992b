package dev.bulwark.sigma;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A multi-pattern substring matcher (Aho–Corasick) over case-folded literals: one pass over a text finds every
 * literal it contains, however many there are. Each literal carries the rule indexes that need it.
 *
 * <p>Why: the substring half of the prefilter. The cost of scanning a field value depends on the value's length, not
 * on how many rules look for literals in that field. The text is folded character by character while scanning, so
 * nothing is allocated. Outputs are merged along suffix links when built, so a scan marks rules with one array read
 * per character.
 */
final class AhoCorasick {

    private final char[][] keys;
    private final int[][] children;
    private final int[] rootAscii;
    private final int[] fail;
    private final int[][] outputs;

    /** @param literals folded literal to the rule indexes that need it */
    AhoCorasick(Map<String, int[]> literals) {
        List<TreeMap<Character, Integer>> trie = new ArrayList<>();
        List<TreeSet<Integer>> out = new ArrayList<>();
        trie.add(new TreeMap<>());
        out.add(new TreeSet<>());
        for (Map.Entry<String, int[]> entry : literals.entrySet()) {
            int state = 0;
            for (char c : entry.getKey().toCharArray()) {
                Integer child = trie.get(state).get(c);
                if (child == null) {
                    child = trie.size();
                    trie.add(new TreeMap<>());
                    out.add(new TreeSet<>());
                    trie.get(state).put(c, child);
                }
                state = child;
            }
            for (int rule : entry.getValue()) {
                out.get(state).add(rule);
            }
        }
        int n = trie.size();
        keys = new char[n][];
        children = new int[n][];
        for (int s = 0; s < n; s++) {
            TreeMap<Character, Integer> edges = trie.get(s);
            keys[s] = new char[edges.size()];
            children[s] = new int[edges.size()];
            int i = 0;
            for (Map.Entry<Character, Integer> edge : edges.entrySet()) {
                keys[s][i] = edge.getKey();
                children[s][i++] = edge.getValue();
            }
        }
        rootAscii = new int[128];
        Arrays.fill(rootAscii, 0);
        for (int i = 0; i < keys[0].length; i++) {
            if (keys[0][i] < 128) {
                rootAscii[keys[0][i]] = children[0][i];
            }
        }
        fail = new int[n];
        Deque<Integer> queue = new ArrayDeque<>();
        for (int child : children[0]) {
            queue.add(child);
        }
        while (!queue.isEmpty()) {
            int state = queue.poll();
            for (int i = 0; i < keys[state].length; i++) {
                char c = keys[state][i];
                int child = children[state][i];
                int f = fail[state];
                while (f != 0 && child(f, c) < 0) {
                    f = fail[f];
                }
                int target = child(f, c);
                fail[child] = target >= 0 && target != child ? target : 0;
                out.get(child).addAll(out.get(fail[child]));
                queue.add(child);
            }
        }
        outputs = new int[n][];
        for (int s = 0; s < n; s++) {
            outputs[s] = out.get(s).isEmpty() ? null : out.get(s).stream().mapToInt(Integer::intValue).toArray();
        }
    }

    /** Marks in {@code sink} the rules of every literal that {@code text} (folded) contains. */
    void scan(CharSequence text, RuleBits sink) {
        int state = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = GlobMatcher.fold(text.charAt(i));
            int next;
            while ((next = child(state, c)) < 0 && state != 0) {
                state = fail[state];
            }
            state = Math.max(next, 0);
            if (outputs[state] != null) {
                sink.mark(outputs[state]);
            }
        }
    }

    private int child(int state, char c) {
        if (state == 0 && c < 128) {
            int target = rootAscii[c];
            return target == 0 ? -1 : target;
        }
        int i = Arrays.binarySearch(keys[state], c);
        return i < 0 ? -1 : children[state][i];
    }
}
