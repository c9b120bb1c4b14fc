// Strict JSON reading: a hostile or mistaken body gives a typed error that names the field, never
// a crash, a silent default or a stack exhausted by nesting.
#include "common/json_strict.hpp"

#include <gtest/gtest.h>

#include <string>

namespace civicbox::json {
namespace {

using nlohmann::json;

TEST(common_json_strict, ABodyOverTheLimitIsRefusedBeforeParsing) {
  std::string body = "[" + std::string(100, ' ') + "]";
  EXPECT_TRUE(parse(body, body.size()));
  auto over = parse(body, body.size() - 1);
  ASSERT_FALSE(over);
  EXPECT_EQ(over.error().code, ErrorCode::too_large);
}

TEST(common_json_strict, NestingIsLimited) {
  auto nested = [](std::size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); };
  EXPECT_TRUE(parse(nested(kMaxDepth), 1 << 20));
  auto deep = parse(nested(kMaxDepth + 1), 1 << 20);
  ASSERT_FALSE(deep);
  EXPECT_EQ(deep.error().code, ErrorCode::too_large);
  // Far deeper than any stack could take: refused, no crash.
  auto hostile = parse(std::string(500'000, '['), 1 << 20);
  ASSERT_FALSE(hostile);
  EXPECT_EQ(hostile.error().code, ErrorCode::too_large);
  auto objects = parse(std::string(100'000, '{'), 1 << 20);
  ASSERT_FALSE(objects);
  EXPECT_EQ(objects.error().code, ErrorCode::too_large);
}

TEST(common_json_strict, BracketsInsideStringsDoNotCountAsNesting) {
  std::string text = R"({"a": ")" + std::string(100, '[') + R"(\"[[[[", "b": "]]]"})";
  auto parsed = parse(text, 1 << 20);
  ASSERT_TRUE(parsed) << parsed.error().describe();
  EXPECT_EQ((*parsed)["a"].get<std::string>().size(), 105u);
}

TEST(common_json_strict, MalformedJsonIsAParseError) {
  for (const std::string& text :
       {std::string(), std::string("{"), std::string(R"({"a":1,})"), std::string("{'a': 1}"),
        std::string(R"({"a": "\xff"})"), std::string(R"({"a": "\xc3"})"),
        std::string(R"({"a": "\ud800"})"), std::string("{} {}"), std::string("nul"),
        std::string(R"({"a": "line
break"})")}) {
    auto parsed = parse(text, 1 << 20);
    ASSERT_FALSE(parsed) << text;
    EXPECT_EQ(parsed.error().code, ErrorCode::parse) << text;
  }
}

TEST(common_json_strict, ANulByteIsNeverPartOfValidJson) {
  std::string text("{}\0{\"junk\": 1", 13);
  auto parsed = parse(text, 1 << 20);
  ASSERT_FALSE(parsed) << "trailing bytes after a NUL were ignored";
  EXPECT_EQ(parsed.error().code, ErrorCode::parse);
}

TEST(common_json_strict, OnlyAnObjectCanBeRead) {
  for (const char* text : {"[]", "1", "\"x\"", "null", "true"}) {
    auto value = parse(text, 100);
    ASSERT_TRUE(value);
    auto reader = ObjectReader::open(*value, "");
    ASSERT_FALSE(reader) << text;
    EXPECT_EQ(reader.error().code, ErrorCode::wrong_type);
  }
}

TEST(common_json_strict, PathsNameTheFieldFromTheRoot) {
  json body = json::object();
  auto root = ObjectReader::open(body, "");
  ASSERT_TRUE(root);
  EXPECT_EQ(root->path_of("events"), "events");
  auto nested = ObjectReader::open(body, "events[3].data");
  ASSERT_TRUE(nested);
  EXPECT_EQ(nested->path_of("compartment"), "events[3].data.compartment");
}

TEST(common_json_strict, EachReaderReportsItsOwnKindOfError) {
  json body = json::parse(R"({"s": "abc", "n": 5, "u": 7, "b": true, "a": [1, 2], "o": {},
                              "neg": -1, "f": 1.5, "null": null, "big": 18446744073709551615})");
  auto r = ObjectReader::open(body, "x");
  ASSERT_TRUE(r);
  EXPECT_EQ(*r->string("s", 3), "abc");
  EXPECT_EQ(r->string("s", 2).error().code, ErrorCode::too_large);
  EXPECT_EQ(r->string("n", 10).error().code, ErrorCode::wrong_type);
  EXPECT_EQ(r->string("missing", 10).error().code, ErrorCode::missing_field);
  EXPECT_NE(r->string("missing", 10).error().message.find("'x.missing'"), std::string::npos);

  EXPECT_EQ(*r->integer("n", 0, 5), 5);
  EXPECT_EQ(r->integer("n", 6, 9).error().code, ErrorCode::too_large);
  EXPECT_EQ(r->integer("f", 0, 9).error().code, ErrorCode::wrong_type);
  EXPECT_EQ(r->integer("s", 0, 9).error().code, ErrorCode::wrong_type);
  EXPECT_EQ(r->integer("big", 0, INT64_MAX).error().code, ErrorCode::too_large);
  EXPECT_EQ(*r->integer("neg", -1, 0), -1);

  EXPECT_EQ(*r->unsigned_integer("u", 7), 7u);
  EXPECT_EQ(r->unsigned_integer("u", 6).error().code, ErrorCode::too_large);
  EXPECT_EQ(r->unsigned_integer("neg", 100).error().code, ErrorCode::wrong_type);
  EXPECT_EQ(r->unsigned_integer("f", 100).error().code, ErrorCode::wrong_type);
  EXPECT_EQ(r->unsigned_integer("b", 100).error().code, ErrorCode::wrong_type);
  EXPECT_EQ(r->unsigned_integer("null", 100).error().code, ErrorCode::wrong_type);

  EXPECT_EQ(*r->boolean("b"), true);
  EXPECT_EQ(r->boolean("n").error().code, ErrorCode::wrong_type);
  EXPECT_EQ(*r->optional_boolean("absent", true), true);
  EXPECT_EQ(*r->optional_boolean("absent", false), false);

  EXPECT_EQ(*r->optional_string("null", 10), std::nullopt);
  EXPECT_EQ(*r->optional_string("absent", 10), std::nullopt);
  EXPECT_EQ(*r->optional_integer("null", 0, 1), std::nullopt);

  EXPECT_EQ((*r->array("a", 2))->size(), 2u);
  EXPECT_EQ(r->array("a", 1).error().code, ErrorCode::too_large);
  EXPECT_EQ(r->array("o", 10).error().code, ErrorCode::wrong_type);
  EXPECT_TRUE(r->object("o"));
  EXPECT_EQ(r->object("a").error().code, ErrorCode::wrong_type);
  EXPECT_TRUE(r->finish());
}

TEST(common_json_strict, AFieldNobodyAskedForIsReportedByName) {
  json body = json::parse(R"({"seq": 1, "colour": "red"})");
  auto r = ObjectReader::open(body, "events[0]");
  ASSERT_TRUE(r);
  ASSERT_TRUE(r->unsigned_integer("seq", 10));
  auto finished = r->finish();
  ASSERT_FALSE(finished);
  EXPECT_EQ(finished.error().code, ErrorCode::unknown_field);
  EXPECT_NE(finished.error().message.find("events[0].colour"), std::string::npos)
      << finished.error().message;
}

TEST(common_json_strict, StringItemsNameTheirIndex) {
  json item = 5;
  auto s = string_item(item, "config.document_kinds[2]", 10);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::wrong_type);
  EXPECT_NE(s.error().message.find("config.document_kinds[2]"), std::string::npos);
}

TEST(common_json_strict, DumpReplacesInvalidUtf8InsteadOfThrowing) {
  json value = {{"k", std::string("a\xff"
                                  "b")}};
  std::string out;
  EXPECT_NO_THROW(out = dump(value));
  EXPECT_TRUE(parse(out, 100));
}

TEST(common_json_strict, AKeyRepeatedInOneObjectIsRefusedNotGuessed) {
  auto twice = parse(R"({"kind":"request","kind":"complaint"})", 1024);
  ASSERT_FALSE(twice);
  EXPECT_EQ(twice.error().code, civicbox::ErrorCode::parse);
  EXPECT_NE(twice.error().message.find("'kind'"), std::string::npos) << twice.error().message;
  auto nested = parse(R"({"events":[{"seq":1},{"seq":2,"seq":3}]})", 1024);
  EXPECT_FALSE(nested);
  // The same key in two different objects is fine.
  EXPECT_TRUE(parse(R"({"a":{"x":1},"b":{"x":2},"c":[{"x":3},{"x":4}]})", 1024));
}

}  // namespace
}  // namespace civicbox::json
