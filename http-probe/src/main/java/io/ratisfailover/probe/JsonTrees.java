package io.ratisfailover.probe;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.BigIntegerNode;
import com.fasterxml.jackson.databind.node.BooleanNode;
import com.fasterxml.jackson.databind.node.DoubleNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.LongNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.Map;

/**
 * JSON trees read and written with Jackson's streaming parser and generator, never through an
 * object mapper: what the API (and the YAML configuration) needs is trees in and out, and a mapper
 * loads some 320 classes more for it, 2.5 MB of a witness's resident class metadata (issue 12).
 * Never call {@code toString()} on a tree in main code: it starts a mapper; use {@link #text}.
 */
public final class JsonTrees {
  private static final JsonFactory TEXT = new JsonFactory();

  private JsonTrees() {}

  /**
   * The value at the parser's next token, read whole, with the node types an object mapper's
   * {@code readTree} gives; {@link MissingNode} when the input holds no value.
   */
  public static JsonNode read(JsonParser p) throws IOException {
    JsonToken first = p.nextToken();
    return first == null ? MissingNode.getInstance() : value(p, first);
  }

  private static JsonNode value(JsonParser p, JsonToken token) throws IOException {
    switch (token) {
      case START_OBJECT: {
        ObjectNode object = JsonNodeFactory.instance.objectNode();
        for (JsonToken t = p.nextToken(); t == JsonToken.FIELD_NAME; t = p.nextToken()) {
          String name = p.currentName();
          object.set(name, value(p, p.nextToken()));
        }
        return object;
      }
      case START_ARRAY: {
        ArrayNode array = JsonNodeFactory.instance.arrayNode();
        for (JsonToken t = p.nextToken(); t != JsonToken.END_ARRAY; t = p.nextToken()) {
          array.add(value(p, t));
        }
        return array;
      }
      case VALUE_STRING: return TextNode.valueOf(p.getText());
      case VALUE_NUMBER_INT:
        switch (p.getNumberType()) {
          case INT: return IntNode.valueOf(p.getIntValue());
          case LONG: return LongNode.valueOf(p.getLongValue());
          default: return BigIntegerNode.valueOf(p.getBigIntegerValue());
        }
      case VALUE_NUMBER_FLOAT: return DoubleNode.valueOf(p.getDoubleValue());
      case VALUE_TRUE: return BooleanNode.TRUE;
      case VALUE_FALSE: return BooleanNode.FALSE;
      case VALUE_NULL: return NullNode.getInstance();
      default: throw new JsonParseException(p, "unexpected " + token);
    }
  }

  /** Writes {@code node} as an object mapper would, compactly. */
  public static void write(JsonNode node, JsonGenerator g) throws IOException {
    switch (node.getNodeType()) {
      case OBJECT:
        g.writeStartObject();
        for (Map.Entry<String, JsonNode> field : node.properties()) {
          g.writeFieldName(field.getKey());
          write(field.getValue(), g);
        }
        g.writeEndObject();
        break;
      case ARRAY:
        g.writeStartArray();
        for (JsonNode element : node) {
          write(element, g);
        }
        g.writeEndArray();
        break;
      case STRING: g.writeString(node.textValue()); break;
      case NUMBER: writeNumber(node, g); break;
      case BOOLEAN: g.writeBoolean(node.booleanValue()); break;
      case NULL: g.writeNull(); break;
      default: throw new IllegalArgumentException("no JSON for a " + node.getNodeType() + " node");
    }
  }

  private static void writeNumber(JsonNode n, JsonGenerator g) throws IOException {
    switch (n.numberType()) {
      case INT: g.writeNumber(n.intValue()); break;
      case LONG: g.writeNumber(n.longValue()); break;
      case BIG_INTEGER: g.writeNumber(n.bigIntegerValue()); break;
      case FLOAT: g.writeNumber(n.floatValue()); break;
      case DOUBLE: g.writeNumber(n.doubleValue()); break;
      default: g.writeNumber(n.decimalValue()); break;
    }
  }

  /** {@code node} as compact JSON text, for messages. */
  public static String text(JsonNode node) {
    StringWriter out = new StringWriter();
    try (JsonGenerator g = TEXT.createGenerator(out)) {
      write(node, g);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toString();
  }
}
