package dev.bulwark.esanalysis;

import org.apache.lucene.analysis.Tokenizer;
import org.apache.lucene.analysis.email.UAX29URLEmailTokenizer;
import org.elasticsearch.plugin.NamedComponent;
import org.elasticsearch.plugin.analysis.TokenizerFactory;

/** The {@code uax_url_email} tokenizer: Lucene's UAX#29 tokenizer that keeps URLs and e-mail addresses whole. */
@NamedComponent("uax_url_email")
public final class UaxUrlEmailTokenizer implements TokenizerFactory {

    @Override
    public Tokenizer create() {
        return new UAX29URLEmailTokenizer();
    }
}
