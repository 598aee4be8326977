package io.ratisfailover.node.config;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Binds a parsed document to a configuration record as it is read, strictly: each key is the name
 * of a record component in snake_case, and an unknown key or a value of the wrong kind is a
 * {@link ConfigException} naming its path ({@code clusters[0].peers[2].kind}). Components are
 * records, {@code String}, {@code Boolean}, {@code Integer}, {@code Long}, {@code Double},
 * {@code List<T>} and {@code Map<String, T>}; a scalar is taken from its text, so
 * {@code 0770} stays {@code "0770"} where text is expected. An object mapper did this before and
 * loaded 450 classes more into every member (issue 12).
 */
final class RecordBinder {
  private final JsonParser parser;

  private RecordBinder(JsonParser parser) {
    this.parser = parser;
  }

  /** The document {@code parser} holds as a {@code type}; null when it holds no value. */
  static <T> T bind(JsonParser parser, Class<T> type) throws IOException {
    if (parser.nextToken() == null) {
      return null;
    }
    return type.cast(new RecordBinder(parser).value(type, ""));
  }

  private Object value(Type type, String at) throws IOException {
    JsonToken token = parser.currentToken();
    if (token == JsonToken.VALUE_NULL) {
      return null;
    }
    Class<?> raw = raw(type);
    if (raw.isRecord()) {
      return record(raw, at);
    }
    if (raw == List.class) {
      return list(typeArgument(type, 0), at);
    }
    if (raw == Map.class) {
      if (typeArgument(type, 0) != String.class) {
        throw new IllegalArgumentException("configuration maps have text keys, not " + type.getTypeName() + " (" + at + ")");
      }
      return map(typeArgument(type, 1), at);
    }
    if (!token.isScalarValue()) {
      throw mismatch(at, raw);
    }
    String text = parser.getText();
    try {
      if (raw == String.class) {
        return text;
      } else if (raw == Boolean.class) {
        return bool(text, at);
      } else if (raw == Integer.class) {
        return Integer.valueOf(text.strip());
      } else if (raw == Long.class) {
        return Long.valueOf(text.strip());
      } else if (raw == Double.class) {
        return Double.valueOf(text.strip());
      }
    } catch (NumberFormatException e) {
      throw mismatch(at, raw);
    }
    throw new IllegalArgumentException("configuration records cannot hold a " + type.getTypeName() + " (" + at + ")");
  }

  private Object record(Class<?> type, String at) throws IOException {
    if (parser.currentToken() != JsonToken.START_OBJECT) {
      throw mismatch(at, type);
    }
    RecordComponent[] components = type.getRecordComponents();
    Map<String, Integer> byKey = new HashMap<>();
    for (int i = 0; i < components.length; i++) {
      byKey.put(snakeCase(components[i].getName()), i);
    }
    Object[] values = new Object[components.length];
    while (parser.nextToken() == JsonToken.FIELD_NAME) {
      String key = parser.currentName();
      Integer index = byKey.get(key);
      if (index == null) {
        throw new ConfigException("unknown key '" + join(at, key) + "'");
      }
      parser.nextToken();
      values[index] = value(components[index].getGenericType(), join(at, key));
    }
    return construct(type, components, values, at);
  }

  private static Object construct(Class<?> type, RecordComponent[] components, Object[] values, String at) {
    Class<?>[] types = new Class<?>[components.length];
    for (int i = 0; i < components.length; i++) {
      types[i] = components[i].getType();
    }
    try {
      Constructor<?> canonical = type.getDeclaredConstructor(types);
      canonical.setAccessible(true);
      return canonical.newInstance(values);
    } catch (InvocationTargetException e) {
      if (e.getCause() instanceof ConfigException c) {
        throw c;
      }
      throw new ConfigException((at.isEmpty() ? "the file" : at) + ": " + e.getCause().getMessage(), e.getCause());
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("cannot construct " + type.getName(), e);
    }
  }

  private List<Object> list(Type element, String at) throws IOException {
    if (parser.currentToken() != JsonToken.START_ARRAY) {
      throw mismatch(at, List.class);
    }
    List<Object> list = new ArrayList<>();
    while (parser.nextToken() != JsonToken.END_ARRAY) {
      list.add(value(element, at + "[" + list.size() + "]"));
    }
    return list;
  }

  private Map<String, Object> map(Type valueType, String at) throws IOException {
    if (parser.currentToken() != JsonToken.START_OBJECT) {
      throw mismatch(at, Map.class);
    }
    Map<String, Object> map = new LinkedHashMap<>();
    while (parser.nextToken() == JsonToken.FIELD_NAME) {
      String key = parser.currentName();
      parser.nextToken();
      map.put(key, value(valueType, join(at, key)));
    }
    return map;
  }

  private static Boolean bool(String text, String at) {
    if (text.equalsIgnoreCase("true")) {
      return true;
    }
    if (text.equalsIgnoreCase("false")) {
      return false;
    }
    throw mismatch(at, Boolean.class);
  }

  private static ConfigException mismatch(String at, Class<?> expected) {
    return new ConfigException((at.isEmpty() ? "the file" : at) + ": expected " + describe(expected));
  }

  private static String describe(Class<?> type) {
    if (type == String.class) {
      return "a text value";
    }
    if (type == Boolean.class) {
      return "true or false";
    }
    if (Number.class.isAssignableFrom(type)) {
      return "a number";
    }
    if (Collection.class.isAssignableFrom(type)) {
      return "a list";
    }
    return "a mapping of keys";
  }

  /** {@code apiListen} → {@code api_listen}. */
  static String snakeCase(String name) {
    StringBuilder b = new StringBuilder(name.length() + 4);
    for (char c : name.toCharArray()) {
      if (Character.isUpperCase(c)) {
        b.append('_').append(Character.toLowerCase(c));
      } else {
        b.append(c);
      }
    }
    return b.toString();
  }

  private static String join(String at, String key) {
    return at.isEmpty() ? key : at + "." + key;
  }

  private static Class<?> raw(Type type) {
    return type instanceof ParameterizedType p ? (Class<?>) p.getRawType() : (Class<?>) type;
  }

  private static Type typeArgument(Type type, int index) {
    return ((ParameterizedType) type).getActualTypeArguments()[index];
  }
}
