package dev.adapterforge.ops.tokenizer;

/**
 * One model-sized sequence of a text with what it lost to the vocabulary.
 *
 * @param inputIds the ids, special tokens included
 * @param unknownTokens how many of its text tokens are the unknown token
 * @param unknownCharacters characters (code points) of the text inside those unknown tokens
 */
public record TokenizedChunk(int[] inputIds, int unknownTokens, int unknownCharacters) {}
