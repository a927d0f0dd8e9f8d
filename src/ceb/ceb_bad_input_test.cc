// Hostile and malformed input: each gets a precise refusal naming the field.
#include <gtest/gtest.h>

#include "ceb/ceb.h"
#include "ceb/field_tables.h"

namespace ftz::ceb {
namespace {

const char kOrder[] = R"(<?xml version="1.0" encoding="UTF-8"?>
<x:CEB311Message guid="4CDE1CFD-EDED-46B1-946C-B8022E42FC94" version="1.0" xmlns:x="http://www.chinaport.gov.cn/ceb">
<x:Order><x:OrderHead>
<x:guid>4CDE1CFD-EDED-46B1-946C-B8022E42FC94</x:guid><x:appType>1</x:appType><x:appTime>20160308112701</x:appTime>
<x:appStatus>2</x:appStatus><x:orderType>I</x:orderType><x:orderNo>ORDERNO</x:orderNo><x:ebpCode>1105910159</x:ebpCode>
<x:ebpName>平台</x:ebpName><x:ebcCode>1105910159</x:ebcCode><x:ebcName>电商</x:ebcName><x:goodsValue>100</x:goodsValue>
<x:freight>0</x:freight><x:discount>0</x:discount><x:taxTotal>9.1</x:taxTotal><x:acturalPaid>109.1</x:acturalPaid>
<x:currency>142</x:currency><x:buyerRegNo>U1</x:buyerRegNo><x:buyerName>张三</x:buyerName><x:buyerTelephone>13800000000</x:buyerTelephone>
<x:buyerIdType>1</x:buyerIdType><x:buyerIdNumber>110101199001011234</x:buyerIdNumber><x:consignee>张三</x:consignee>
<x:consigneeTelephone>13800000000</x:consigneeTelephone><x:consigneeAddress>杭州市</x:consigneeAddress>
</x:OrderHead><x:OrderList><x:gnum>1</x:gnum><x:itemName>奶粉</x:itemName><x:gmodel>900g</x:gmodel><x:unit>122</x:unit>
<x:qty>QTY</x:qty><x:price>100</x:price><x:totalPrice>100</x:totalPrice><x:currency>142</x:currency><x:country>502</x:country>
</x:OrderList></x:Order>
<x:BaseTransfer><x:copCode>1105910159</x:copCode><x:copName>平台</x:copName><x:dxpMode>DXP</x:dxpMode><x:dxpId>DXP1</x:dxpId></x:BaseTransfer>
</x:CEB311Message>)";

std::string Order(std::string_view order_no = "order-1", std::string_view qty = "1") {
  std::string s = kOrder;
  s.replace(s.find("ORDERNO"), 7, order_no);
  s.replace(s.find("QTY"), 3, qty);
  return s;
}

TEST(BadInputTest, ValidBaselineWithAnyPrefix) {
  DecodeResult d = DecodeXml(Order());
  ASSERT_TRUE(d.ok()) << d.summary;
  EXPECT_EQ(std::get<std::vector<ftz::Order>>(d.message.blocks)[0].head.buyerName, "张三");
}

TEST(BadInputTest, MalformedXmlIsUnreadable) {
  DecodeResult d = DecodeXml("<ceb:CEB311Message><unclosed>");
  EXPECT_EQ(d.outcome, DecodeResult::Outcome::kUnreadable);
  EXPECT_NE(d.summary.find("malformed XML"), std::string::npos) << d.summary;
}

TEST(BadInputTest, EmptyBody) {
  EXPECT_EQ(DecodeXml("").outcome, DecodeResult::Outcome::kUnreadable);
  EXPECT_EQ(DecodeXml(" \n").summary, "empty message body");
  EXPECT_EQ(DecodeJson("").summary, "empty message body");
}

TEST(BadInputTest, WrongRootAndNamespace) {
  DecodeResult d = DecodeXml("<ceb:CEB999Message xmlns:ceb=\"http://www.chinaport.gov.cn/ceb\"/>");
  EXPECT_EQ(d.outcome, DecodeResult::Outcome::kUnreadable);
  EXPECT_NE(d.summary.find("not an import message"), std::string::npos);
  std::string wrong_ns = Order();
  wrong_ns.replace(wrong_ns.find("http://www.chinaport.gov.cn/ceb"), 31, "http://example.com/ceb");
  d = DecodeXml(wrong_ns);
  EXPECT_EQ(d.outcome, DecodeResult::Outcome::kUnreadable);
  EXPECT_NE(d.summary.find("namespace"), std::string::npos) << d.summary;
  // A receipt is not something enterprises send in.
  d = DecodeXml("<CEB312Message xmlns=\"http://www.chinaport.gov.cn/ceb\"/>");
  EXPECT_EQ(d.outcome, DecodeResult::Outcome::kUnreadable);
}

TEST(BadInputTest, BillionLaughsAndExternalEntitiesAreRefused) {
  std::string laughs = R"(<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<ceb:CEB311Message xmlns:ceb="http://www.chinaport.gov.cn/ceb">&lol3;</ceb:CEB311Message>)";
  DecodeResult d = DecodeXml(laughs);
  EXPECT_EQ(d.outcome, DecodeResult::Outcome::kUnreadable);
  EXPECT_NE(d.summary.find("DOCTYPE"), std::string::npos) << d.summary;
  std::string xxe = R"(<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<ceb:CEB311Message xmlns:ceb="http://www.chinaport.gov.cn/ceb">&x;</ceb:CEB311Message>)";
  d = DecodeXml(xxe);
  EXPECT_EQ(d.outcome, DecodeResult::Outcome::kUnreadable);
  EXPECT_NE(d.summary.find("DOCTYPE"), std::string::npos);
}

TEST(BadInputTest, FieldErrorsNameTheField) {
  DecodeResult d = DecodeXml(Order(std::string(61, 'A')));
  ASSERT_EQ(d.outcome, DecodeResult::Outcome::kInvalid);
  EXPECT_EQ(d.ceb_code, -301008);
  ASSERT_EQ(d.errors.size(), 1u);
  EXPECT_EQ(d.errors[0].path, "Order[1]/OrderHead/orderNo");
  EXPECT_EQ(d.errors[0].reason, "longer than 60 characters (61)");

  d = DecodeXml(Order("o1", "1.123456"));
  ASSERT_EQ(d.outcome, DecodeResult::Outcome::kInvalid);
  EXPECT_EQ(d.errors[0].path, "Order[1]/OrderList[1]/qty");
  EXPECT_NE(d.errors[0].reason.find("more than 5 digits after the decimal point"),
            std::string::npos);

  d = DecodeXml(Order("o1", "-1"));
  EXPECT_EQ(d.errors.at(0).reason, "must not be negative");
}

// An enterprise code is letters and digits: it leads the business key
// ("ebpCode/orderNo"), and a '/' in it would let two documents share a key
// (ebpCode "A/B" + orderNo "C" against ebpCode "A" + orderNo "B/C").
TEST(BadInputTest, AnEnterpriseCodeIsLettersAndDigits) {
  std::string o = Order();
  o.replace(o.find("<x:ebpCode>1105910159"), 21, "<x:ebpCode>1105910159/A");
  DecodeResult d = DecodeXml(o);
  ASSERT_EQ(d.outcome, DecodeResult::Outcome::kInvalid);
  EXPECT_EQ(d.ceb_code, -301008);
  ASSERT_EQ(d.errors.size(), 1u);
  EXPECT_EQ(d.errors[0].path, "Order[1]/OrderHead/ebpCode");
  EXPECT_EQ(d.errors[0].reason, "must be letters and digits only (an enterprise code)");
  // The same number with a '/' is still an order number.
  EXPECT_EQ(DecodeXml(Order("A/B")).outcome, DecodeResult::Outcome::kOk);
}

TEST(BadInputTest, MissingRequiredFieldAndBadCode) {
  std::string s = Order();
  s.erase(s.find("<x:buyerIdNumber>"),
          std::string("<x:buyerIdNumber>110101199001011234</x:buyerIdNumber>").size());
  s.replace(s.find("<x:country>502"), 14, "<x:country>998");
  DecodeResult d = DecodeXml(s);
  ASSERT_EQ(d.outcome, DecodeResult::Outcome::kInvalid);
  ASSERT_EQ(d.errors.size(), 2u);
  EXPECT_EQ(d.errors[0].path, "Order[1]/OrderHead/buyerIdNumber");
  EXPECT_EQ(d.errors[0].reason, "missing required field");
  EXPECT_EQ(d.errors[1].path, "Order[1]/OrderList[1]/country");
  EXPECT_NE(d.errors[1].reason.find("not a valid country code"), std::string::npos);
}

TEST(BadInputTest, RefusalReceiptCarriesCodeAndField) {
  DecodeResult d = DecodeXml(Order(std::string(61, 'A')));
  ReceiptMessage r = MakeRefusalReceipt(d, 1607419631594);
  EXPECT_EQ(r.type, MessageType::kOrderReceipt);
  ReturnView v = ViewReturn(r, 0);
  EXPECT_EQ(v.status, -301008);
  EXPECT_EQ(v.time, "20201208172711594");
  EXPECT_NE(v.info.find("参数校验不通过，Order[1]/OrderHead/orderNo: longer than 60"),
            std::string::npos)
      << v.info;
}

TEST(BadInputTest, DxpWithBadBase64) {
  std::string dxp = WrapInDxp(Order(), "M1", "S", "R", "CEB311Message");
  dxp.replace(dxp.find("<dxp:Data>") + 10, 4, "!!!!");
  DecodeResult d = DecodeXml(dxp);
  EXPECT_EQ(d.outcome, DecodeResult::Outcome::kUnreadable);
  EXPECT_EQ(d.summary, "DxpMsg Data is not valid base64");
  EXPECT_EQ(d.dxp_copmsgid, "M1");
  FormatReceipt f = MakeFormatReceipt(d, dxp, 0);
  EXPECT_EQ(f.returnStatus, "-0001");
  EXPECT_EQ(f.oriCopMsgId, "M1");
  EXPECT_NE(EncodeFormatReceiptXml(f).find("<CEB900Message"), std::string::npos);
}

TEST(BadInputTest, TooManyBlocksAndNoLines) {
  std::string s = Order();
  size_t a = s.find("<x:Order>"), b = s.find("<x:BaseTransfer>");
  std::string block = s.substr(a, b - a);
  std::string many = s.substr(0, a);
  for (int i = 0; i < 101; ++i) many += block;
  many += s.substr(b);
  DecodeResult d = DecodeXml(many);
  ASSERT_EQ(d.outcome, DecodeResult::Outcome::kInvalid);
  EXPECT_EQ(d.ceb_code, -301015);

  std::string nolines = Order();
  size_t l1 = nolines.find("<x:OrderList>"), l2 = nolines.find("</x:OrderList>") + 14;
  nolines.erase(l1, l2 - l1);
  d = DecodeXml(nolines);
  ASSERT_EQ(d.outcome, DecodeResult::Outcome::kInvalid);
  EXPECT_EQ(d.errors[0].reason, "no lines: at least one is required");

  std::string noblocks = s.substr(0, a) + s.substr(b);
  d = DecodeXml(noblocks);
  EXPECT_EQ(d.ceb_code, -301007);
}

TEST(BadInputTest, InvalidUtf8AndControlCharacters) {
  std::string s = Order();
  s.replace(s.find("张三"), 6, "\xC3\x28");
  DecodeResult d = DecodeXml(s);
  ASSERT_EQ(d.outcome, DecodeResult::Outcome::kInvalid);
  EXPECT_EQ(d.errors[0].reason, "not valid UTF-8 text");
}

// Text where only elements may be, elements where only text may be, and the
// forms a field's text may take (CDATA, after a comment, escaped): the parse
// keeps an element's leading text in the element itself (ceb/internal/
// xml_parse.h), and the decoder must find it there as it found text nodes.
TEST(BadInputTest, TextAndElementsInTheWrongPlace) {
  auto decode = [](std::string_view from, std::string_view to) {
    std::string s = Order();
    s.replace(s.find(from), from.size(), to);
    return DecodeXml(s);
  };
  auto first_error = [](const DecodeResult& d) {
    return d.errors.empty() ? std::string("(none)") : d.errors[0].path + ": " + d.errors[0].reason;
  };
  struct Case {
    std::string_view from, to, first_error;
  };
  const Case cases[] = {
      {"<x:OrderHead>\n", "<x:OrderHead>junk", "Order[1]/OrderHead: text outside any field"},
      {"</x:appType>", "</x:appType>junk", "Order[1]/OrderHead: text outside any field"},
      {"<x:Order>", "<x:Order>junk", "Order[1]: text outside any element"},
      {"</x:OrderHead>", "</x:OrderHead>junk", "Order[1]: text outside any element"},
      {"ceb\">\n", "ceb\">junk", "x:CEB311Message: text outside any element"},
      {"<x:ebpName>平台", "<x:ebpName>平台<x:b/>",
       "Order[1]/OrderHead/ebpName: must contain text only"},
      {"<x:ebpName>平台", "<x:ebpName><x:b/>平台",
       "Order[1]/OrderHead/ebpName: must contain text only"},
      {"<x:ebpName>平台", "<x:ebpName>平<![CDATA[台]]>",
       "Order[1]/OrderHead/ebpName: must contain text only"},
      {"<x:ebpName>平台", "<x:ebpName><![CDATA[平]]>台",
       "Order[1]/OrderHead/ebpName: must contain text only"},
  };
  for (const Case& c : cases) EXPECT_EQ(first_error(decode(c.from, c.to)), c.first_error) << c.to;
  for (auto [text, want] :
       {std::pair<std::string_view, std::string_view>{"<![CDATA[平&台]]>", "平&台"},
        {"<!--c-->平台", "平台"},
        {"A&amp;B&#x5E73;", "A&B平"}}) {
    DecodeResult d =
        decode("<x:ebcName>电商</x:ebcName>", "<x:ebcName>" + std::string(text) + "</x:ebcName>");
    ASSERT_TRUE(d.ok()) << text << ": " << d.summary;
    EXPECT_EQ(std::get<std::vector<ftz::Order>>(d.message.blocks)[0].head.ebcName, want) << text;
  }
  // A character reference to U+0000 is not XML, and pugixml would give it as
  // the end of a text: refused wherever it would be decoded (a helper's review
  // found text before a field and a field's text hidden by one), kept as
  // written in CDATA.
  for (auto [from, to] :
       {std::pair<std::string_view, std::string_view>{"<x:OrderHead>\n", "<x:OrderHead>&#0;junk"},
        {"<x:OrderHead>\n", "<x:OrderHead>&#x0000;"},
        {"<x:Order>", "<x:Order>&#4294967296;"},
        {"<x:ebpName>平台", "<x:ebpName>&#0;<![CDATA[台]]>"},
        {"<x:ebpName>平台", "<x:ebpName>&#0;平台"},
        {"version=\"1.0\" xmlns", "version=\"1.&#0;0\" xmlns"}}) {
    DecodeResult d = decode(from, to);
    EXPECT_EQ(d.outcome, DecodeResult::Outcome::kUnreadable) << to;
    EXPECT_NE(d.summary.find("character reference &#"), std::string::npos)
        << to << ": " << d.summary;
  }
  DecodeResult literal = decode("<x:ebcName>电商", "<x:ebcName><![CDATA[&#0;]]>");
  ASSERT_TRUE(literal.ok()) << literal.summary;
  EXPECT_EQ(std::get<std::vector<ftz::Order>>(literal.message.blocks)[0].head.ebcName, "&#0;");
  // ExtendMessage is kept as written inside it, leading text included.
  DecodeResult d = decode("<x:BaseTransfer>",
                          "<x:ExtendMessage>a&lt;b<y>c</y>d</x:ExtendMessage><x:BaseTransfer>");
  ASSERT_TRUE(d.ok()) << d.summary;
  EXPECT_EQ(d.message.extend_message, "a&lt;b<y>c</y>d");
  // Verbatim, but only characters XML allows: U+FFFF (which pugixml lets
  // pass raw), in XML and in JSON alike.
  d = decode("<x:BaseTransfer>",
             "<x:ExtendMessage>a\xEF\xBF\xBF"
             "b</x:ExtendMessage><x:BaseTransfer>");
  ASSERT_EQ(d.outcome, DecodeResult::Outcome::kInvalid);
  EXPECT_EQ(d.summary, "ExtendMessage: character 2 is U+FFFF, a noncharacter XML does not allow");
  const std::string json = EncodeMessageJson(DecodeXml(Order()).message);
  const size_t end = json.rfind("}}");
  d = DecodeJson(json.substr(0, end) + ",\"ExtendMessage\":\"a\\u0001b\"}}");
  ASSERT_EQ(d.outcome, DecodeResult::Outcome::kInvalid);
  EXPECT_EQ(d.summary,
            "ExtendMessage: character 2 is U+0001, a control character XML does not allow");
}

// What pugixml lets pass and XML does not (a helper's audit found each one
// accepted and logged): each is refused as unreadable, naming what is wrong,
// while the same text in CDATA, comments or processing instructions where
// XML allows them still decodes.
TEST(BadInputTest, NotXmlThoughPugixmlParsesIt) {
  const std::string order = Order();
  auto replaced = [&](std::string_view from, std::string_view to) {
    std::string s = order;
    s.replace(s.find(from), from.size(), to);
    return s;
  };
  const std::string root_end = "</x:CEB311Message>";
  struct Case {
    std::string body;
    std::string_view why;
  };
  const Case refused[] = {
      {replaced("<x:ebpName>平台", "<x:ebpName>&foo;平台"), "\"&foo;\" is not a reference XML"},
      {replaced("<x:ebpName>平台", "<x:ebpName>A & B平台"), "\"& \" is not a reference"},
      {replaced("<x:ebpName>平台", "<x:ebpName>&#65平台"), "\"&#65平\" is not a reference"},
      {replaced("<x:Order>", "<x:Order a=\"1\" a=\"2\">"),
       "attribute a appears twice on <x:Order>"},
      {replaced("<x:ebpName>平台", "<x:ebpName>&#x1;平台"),
       "the character reference &#x1; (U+0001) is not a character XML allows"},
      {replaced("<x:ebpName>平台", "<x:ebpName>&#xD800;平台"), "(U+D800)"},
      {replaced("<x:ebpName>平台", "<x:ebpName>&#x110000;平台"), "&#x110000; is not"},
      {replaced("version=\"1.0\" xmlns", "version=\"1.0\" version=\"2.0\" xmlns"),
       "attribute version appears twice on <x:CEB311Message>"},
      {replaced("<x:ebpName>", "<x:ebpName a=\"1\" a=\"2\">"),
       "attribute a appears twice on <x:ebpName>"},
      {order + "<x/>", "more than one root element (<x:CEB311Message> and <x>)"},
      {order + "garbage", "text after the root element"},
      {order + "<!-- c -->junk", "text after the root element"},
      {order + "<?xml version=\"1.0\"?>", "an XML declaration may only open the document"},
      {"junk" + order, "text before the root element"},
      {"\n" + order, "an XML declaration may only open the document"},
      {replaced("encoding=\"UTF-8\"", "encoding=\"GBK\""),
       "the XML declaration names encoding GBK: CEB messages are UTF-8"},
      {replaced("version=\"1.0\" encoding", "encoding"), "the XML declaration has no version"},
  };
  for (const Case& c : refused) {
    DecodeResult d = DecodeXml(c.body);
    EXPECT_EQ(d.outcome, DecodeResult::Outcome::kUnreadable) << c.why;
    EXPECT_NE(d.summary.find(c.why), std::string::npos) << d.summary;
    if (!c.why.starts_with("the XML declaration names encoding")) {  // well-formed, not UTF-8
      EXPECT_EQ(d.summary.find("malformed XML"), 0u) << d.summary;
    }
  }
  const std::string allowed[] = {
      replaced("<x:ebpName>平台", "<x:ebpName><![CDATA[&foo; A & B <?xml ?>]]>"),
      replaced("<x:ebpName>平台", "<x:ebpName><!-- &foo; -->平台"),
      replaced("<x:ebpName>平台", "<x:ebpName>A &amp; B &#x5E73;&#24179;平台"),
      order + "\n<!-- after -->\n<?pi after?>\n",
      replaced("<?xml version=\"1.0\" encoding=\"UTF-8\"?>",
               "<?xml version='1.0' encoding = 'utf-8' standalone=\"yes\"?>"),
      // Well-formed, and refused by the first version of these checks (a
      // helper's review): what Java writes, line breaks in the declaration,
      // a processing instruction holding "<?", references with long zeros.
      replaced("encoding=\"UTF-8\"", "encoding=\"UTF8\""),
      replaced("version=\"1.0\" encoding", "version\n=\n\"1.0\" encoding"),
      order + "<?pi a <? b?>",
      replaced("<x:ebpName>平台", "<x:ebpName>&#x" + std::string(38, '0') + "41;&#" +
                                      std::string(60, '0') + "65;平台"),
      "<!-- before -->" + order.substr(order.find("?>") + 2),
  };
  for (const std::string& body : allowed) {
    DecodeResult d = DecodeXml(body);
    EXPECT_TRUE(d.ok()) << d.summary << "\n" << body.substr(0, 200);
  }
  // A refusal quotes the input only in short, valid, printable pieces: it
  // goes into a receipt (XML or JSON).
  for (const std::string& hostile :
       {replaced("<x:ebpName>平台", "<x:ebpName>&\x01\x02;平台"),
        replaced("<x:ebpName>平台", "<x:ebpName>&" + std::string(5000, '\x80') + ";平台"),
        replaced("encoding=\"UTF-8\"", "encoding=\"" + std::string(300, 'E') + "\x01\"")}) {
    DecodeResult d = DecodeXml(hostile);
    EXPECT_EQ(d.outcome, DecodeResult::Outcome::kUnreadable) << d.summary;
    EXPECT_GE(Utf8Length(d.summary), 0) << d.summary;  // valid UTF-8, no control character
    EXPECT_LT(d.summary.size(), 400u) << d.summary;
  }
  std::string many = order;
  std::string attributes;
  for (int i = 0; i < 3000; ++i) attributes += " a" + std::to_string(i) + "=\"\"";
  many.replace(many.find(" version=\"1.0\" xmlns"), 0, attributes + " a17=\"x\"");
  EXPECT_NE(DecodeXml(many).summary.find("attribute a17 appears twice"), std::string::npos);
  // A control character written as such: named as what it is.
  DecodeResult control = DecodeXml(replaced("<x:ebpName>平台", "<x:ebpName>平\x01台"));
  ASSERT_EQ(control.outcome, DecodeResult::Outcome::kInvalid);
  EXPECT_EQ(control.errors[0].reason,
            "character 2 is U+0001, a control character XML does not allow");
}

TEST(BadInputTest, JsonErrors) {
  EXPECT_EQ(DecodeJson("{").outcome, DecodeResult::Outcome::kUnreadable);
  EXPECT_EQ(DecodeJson("[1,2]").outcome, DecodeResult::Outcome::kUnreadable);
  EXPECT_EQ(DecodeJson("{\"CEB311Message\": 5}").outcome, DecodeResult::Outcome::kUnreadable);
  DecodeResult ok = DecodeXml(Order());
  std::string json = EncodeMessageJson(ok.message);
  json.replace(json.find("\"order-1\""), 9, "\"" + std::string(61, 'B') + "\"");
  DecodeResult d = DecodeJson(json);
  ASSERT_EQ(d.outcome, DecodeResult::Outcome::kInvalid);
  EXPECT_EQ(d.errors[0].path, "Order[1]/OrderHead/orderNo");
  // Numbers are accepted for decimal fields, read exactly.
  std::string num = EncodeMessageJson(ok.message);
  num.replace(num.find("\"taxTotal\":\"9.1\""), 16, "\"taxTotal\":9.10000");
  d = DecodeJson(num);
  ASSERT_TRUE(d.ok()) << d.summary;
  EXPECT_EQ(std::get<std::vector<ftz::Order>>(d.message.blocks)[0].head.taxTotal.units(), 910000);
}

}  // namespace
}  // namespace ftz::ceb

namespace ftz::ceb {
namespace {
TEST(BadInputTest, JsonTrailingContentIsRefused) {
  DecodeResult ok = DecodeXml(Order());
  std::string json = EncodeMessageJson(ok.message);
  ASSERT_TRUE(DecodeJson(json).ok());
  EXPECT_EQ(DecodeJson(json + " {}").outcome, DecodeResult::Outcome::kUnreadable);
  EXPECT_TRUE(DecodeJson(json + " \n").ok());
}
}  // namespace
}  // namespace ftz::ceb

namespace ftz::ceb {
namespace {
TEST(Utf8Test, CountsCodePointsAndRefusesBadBytes) {
  EXPECT_EQ(Utf8Length("abcdefghijklmnop"), 16);
  EXPECT_EQ(Utf8Length("abcdefgh张三ijklmnop"), 18);
  EXPECT_EQ(Utf8Length("东方物通科技(北京)有限公司"), 14);
  EXPECT_EQ(Utf8Length("abcdefg\x01hijklmnop"), -1);  // control character inside a fast block
  EXPECT_EQ(Utf8Length("abcdefghijklmno\x7f"), 16);   // DEL is allowed by XML
  EXPECT_EQ(Utf8Length("abcdefgh\xC0\x80"), -1);      // overlong NUL
  EXPECT_EQ(Utf8Length("abcdefgh\xED\xA0\x80"), -1);  // surrogate
  EXPECT_EQ(Utf8Length("tab\tand\nnewline ok"), 18);
  // Printable ASCII of 8 bytes or more is counted eight at a time, the last
  // eight read again: lengths off the multiple, and a bad byte in the tail.
  EXPECT_EQ(Utf8Length("12345678"), 8);
  EXPECT_EQ(Utf8Length("123456789"), 9);
  EXPECT_EQ(Utf8Length("20231231235959123"), 17);
  EXPECT_EQ(Utf8Length("123456789\x01"), -1);
  EXPECT_EQ(Utf8Length("12345678张"), 9);
  EXPECT_EQ(Utf8Length("1234567张三"), 9);
  EXPECT_EQ(Utf8Length("123456789abc\xE5\xBC"), -1);  // a three-byte character cut short
  EXPECT_EQ(Utf8Length("\xE0\x80\xAF"), -1);          // overlong '/' in three bytes
  EXPECT_EQ(Utf8Length("\xEF\xBF\xBD"), 1);           // U+FFFD: the last character XML allows
  // U+FFFE and U+FFFF are not XML characters: a receipt quoting one would
  // not be well-formed.
  EXPECT_EQ(Utf8Length("\xEF\xBF\xBF"), -1);
  EXPECT_EQ(Utf8Length("12345678\xEF\xBF\xBE"), -1);
  EXPECT_EQ(WhyNotText("ab\xEF\xBF\xBF"),
            "character 3 is U+FFFF, a noncharacter XML does not allow");
}
}  // namespace
}  // namespace ftz::ceb

namespace ftz::ceb {
namespace {

// A JSON body is checked whole before it is read: the values the reader
// skips and the text of numbers must be JSON too, since the log keeps the
// body as sent.
TEST(BadInputTest, JsonIsCheckedWholeBeforeItIsRead) {
  const std::string json = EncodeMessageJson(DecodeXml(Order()).message);
  ASSERT_TRUE(DecodeJson(json).ok());
  const size_t end = json.rfind("}}");  // the message object's closing brace
  auto with_member = [&](std::string_view member) {
    return json.substr(0, end) + "," + std::string(member) + "}}";
  };
  ASSERT_TRUE(DecodeJson(with_member("\"Signature\":{\"a\":[1,2]}")).ok());
  const std::pair<std::string, std::string> cases[] = {
      {with_member("\"Signature\":{\"a\" 1, ]}"), "missing or extra commas"},
      {with_member("\"Signature\":[tru]"), "bare word"},
      {with_member("\"Signature\":\"\\x\""), "bad escape"},
      {with_member("\"Signature\":" + std::string(40, '[') + std::string(40, ']')),
       "nested more than 16 levels deep"},
      {json.substr(0, json.find("\"9.1\"")) + "0x91" + json.substr(json.find("\"9.1\"") + 5),
       "not a JSON number"},
      {json.substr(0, json.find("\"9.1\"")) + "09.1" + json.substr(json.find("\"9.1\"") + 5),
       "not a JSON number"},
      {json.substr(0, json.find("\"9.1\"")) + "9." + json.substr(json.find("\"9.1\"") + 5),
       "not a JSON number"},
  };
  for (const auto& [body, why] : cases) {
    DecodeResult d = DecodeJson(body);
    EXPECT_EQ(d.outcome, DecodeResult::Outcome::kUnreadable) << body;
    EXPECT_EQ(d.ceb_code, 1) << body;
    EXPECT_NE(d.summary.find(why), std::string::npos) << d.summary;
  }
}

TEST(BadInputTest, JsonRepeatsAreRefusedAsInXml) {
  const std::string json = EncodeMessageJson(DecodeXml(Order()).message);
  // A second head in a block: XML refuses it; JSON used to merge the two.
  const size_t head = json.find("\"OrderHead\"");
  const size_t lines = json.find(",\"OrderList\"");
  const std::string head_member = json.substr(head, lines - head);
  DecodeResult d = DecodeJson(json.substr(0, lines) + "," + head_member + json.substr(lines));
  ASSERT_EQ(d.outcome, DecodeResult::Outcome::kInvalid);
  EXPECT_EQ(d.summary, "Order[1]/OrderHead: more than one head");
  // The lines named twice.
  const size_t lines_end = json.find("]", lines) + 1;
  const std::string lines_member = json.substr(lines, lines_end - lines);
  d = DecodeJson(json.substr(0, lines_end) + lines_member + json.substr(lines_end));
  ASSERT_EQ(d.outcome, DecodeResult::Outcome::kInvalid);
  EXPECT_EQ(d.summary, "Order[1]/OrderList: appears more than once");
  // Two signatures.
  const size_t end = json.rfind("}}");
  d = DecodeJson(json.substr(0, end) + ",\"Signature\":1,\"Signature\":2}}");
  ASSERT_EQ(d.outcome, DecodeResult::Outcome::kInvalid);
  EXPECT_EQ(d.summary, "Signature: more than one signature");
}

TEST(BadInputTest, JsonRootAttributesAreDescribedAsInXml) {
  const std::string json = EncodeMessageJson(DecodeXml(Order()).message);
  const size_t guid = json.find("\"guid\":\"") + 8;
  DecodeResult d = DecodeJson(json.substr(0, guid) + "\\u0001" + json.substr(guid + 1));
  ASSERT_EQ(d.outcome, DecodeResult::Outcome::kInvalid);
  EXPECT_EQ(d.summary, "@guid: character 1 is U+0001, a control character XML does not allow");
  const size_t guid_end = json.find('"', guid);
  d = DecodeJson(json.substr(0, guid - 1) + "null" + json.substr(guid_end + 1));
  ASSERT_EQ(d.outcome, DecodeResult::Outcome::kInvalid);
  EXPECT_EQ(d.summary, "@guid: missing required attribute");
  d = DecodeJson(json.substr(0, guid - 8) + json.substr(guid - 8, guid_end + 2 - (guid - 8)) +
                 json.substr(guid - 8));
  ASSERT_EQ(d.outcome, DecodeResult::Outcome::kInvalid);
  EXPECT_EQ(d.summary, "@guid: appears more than once");
}

}  // namespace
}  // namespace ftz::ceb
