package dev.adapterforge.prep;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.Test;

class Utf8Test {
  private static int at(String hex) {
    byte[] bytes = HexFormat.of().parseHex(hex);
    return Utf8.firstInvalidByte(bytes, bytes.length);
  }

  @Test
  void validTextOfEveryLengthPasses() {
    String text = "Ab ñ ሰላም 𝄞 €";
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    assertEquals(-1, Utf8.firstInvalidByte(bytes, bytes.length));
    assertEquals(-1, at(""));
  }

  @Test
  void eachKindOfInvalidSequenceIsFoundAtItsFirstByte() {
    assertEquals(1, at("41eda080"), "a surrogate, CESU-8 style");
    assertEquals(0, at("c0af"), "an overlong '/'");
    assertEquals(0, at("e08080"), "an overlong three-byte form");
    assertEquals(0, at("f08080af"), "an overlong four-byte form");
    assertEquals(0, at("f4908080"), "past U+10FFFF");
    assertEquals(0, at("f5808080"), "a lead byte no encoding uses");
    assertEquals(2, at("414280"), "a continuation without a lead");
    assertEquals(1, at("41e282"), "cut short by the end");
    assertEquals(1, at("41e24141"), "cut short by the next character");
    assertEquals(-1, at("efbfbd"), "U+FFFD itself is valid");
    assertEquals(-1, at("f48fbfbf"), "U+10FFFF is valid");
  }

  /** The JDK's strict decoder agrees on random bytes, where sequences of every kind occur. */
  @Test
  void agreesWithTheJdksStrictDecoder() {
    Random random = new Random(11);
    CharsetDecoder strict =
        StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
    for (int trial = 0; trial < 20_000; trial++) {
      byte[] bytes = new byte[1 + random.nextInt(6)];
      random.nextBytes(bytes);
      boolean valid;
      try {
        strict.reset().decode(ByteBuffer.wrap(bytes));
        valid = true;
      } catch (CharacterCodingException e) {
        valid = false;
      }
      assertEquals(valid, Utf8.firstInvalidByte(bytes, bytes.length) < 0, HexFormat.of().formatHex(bytes));
    }
  }
}
