package dev.bulwark.esanalysis;

import java.io.IOException;

import org.apache.lucene.analysis.CharArraySet;
import org.apache.lucene.analysis.TokenFilter;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.tokenattributes.CharTermAttribute;
import org.elasticsearch.plugin.NamedComponent;
import org.elasticsearch.plugin.analysis.TokenFilterFactory;

/** The {@code unique} token filter: each term once per field value (the setting only_on_same_position is not offered). */
@NamedComponent("unique")
public final class UniqueFilter implements TokenFilterFactory {

    @Override
    public TokenStream create(TokenStream in) {
        return new TokenFilter(in) {
            private final CharTermAttribute term = addAttribute(CharTermAttribute.class);
            private final CharArraySet seen = new CharArraySet(8, false);

            @Override
            public boolean incrementToken() throws IOException {
                while (input.incrementToken()) {
                    char[] copy = new char[term.length()];
                    System.arraycopy(term.buffer(), 0, copy, 0, copy.length);
                    if (seen.add(copy)) {
                        return true;
                    }
                }
                return false;
            }

            @Override
            public void reset() throws IOException {
                super.reset();
                seen.clear();
            }
        };
    }
}
