package dev.adapterforge.ops.tokenizer;

import java.io.Serializable;

/**
 * How much of a text a vocabulary can represent, to flag languages it cannot (mBERT has no Ethiopic
 * characters: Amharic comes out as [UNK]). Special tokens are not counted.
 *
 * @param tokens tokens the text became
 * @param unknownTokens how many of them are the unknown token
 * @param unknownCharacters characters (Unicode code points) of the text inside unknown tokens: a
 *     word WordPiece cannot spell becomes one [UNK] however long it is, so this, not
 *     {@code unknownTokens}, measures how much text is lost
 */
public record VocabularyCoverage(long tokens, long unknownTokens, long unknownCharacters)
    implements Serializable {}
