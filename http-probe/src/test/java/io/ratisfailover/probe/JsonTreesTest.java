package io.ratisfailover.probe;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigInteger;
import org.junit.jupiter.api.Test;

/** The API's JSON without an object mapper must be the JSON an object mapper reads and writes. */
class JsonTreesTest {
  private final ObjectMapper mapper = new ObjectMapper();

  @Test
  void writesWhatAnObjectMapperWrites() throws Exception {
    ObjectNode doc = JsonNodeFactory.instance.objectNode().put("state", "running").put("timeline", 3)
        .put("xlog_location", 123_456_789_012L).put("lag_ratio", 0.25).put("paused", false).put("tricky", "é\"\\\n<");
    doc.putNull("pending_restart");
    doc.putArray("members").addObject().put("name", "pg1").putArray("tags");
    doc.putObject("empty");
    assertThat(JsonTrees.text(doc)).isEqualTo(mapper.writeValueAsString(doc));
  }

  @Test
  void readsTheNodesAnObjectMapperReads() throws Exception {
    String json = "{\"a\":1,\"b\":12345678901,\"c\":123456789012345678901234,\"d\":1.5,\"e\":[true,null,\"x\"],"
        + "\"f\":{\"g\":{}}}";
    JsonNode read;
    try (JsonParser p = new JsonFactory().createParser(json)) {
      read = JsonTrees.read(p);
    }
    JsonNode expected = mapper.readTree(json);
    assertThat(read).isEqualTo(expected);
    assertThat(read.get("a").isInt()).isTrue();
    assertThat(read.get("b").isLong()).isTrue();
    assertThat(read.get("c").bigIntegerValue()).isEqualTo(new BigInteger("123456789012345678901234"));
    assertThat(JsonTrees.text(read)).isEqualTo(json);
  }

  @Test
  void anEmptyInputHoldsNoValue() throws Exception {
    try (JsonParser p = new JsonFactory().createParser("  ")) {
      assertThat(JsonTrees.read(p).isMissingNode()).isTrue();
    }
  }
}
