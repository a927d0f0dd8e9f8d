#!/usr/bin/env python3
"""Prints the field table of each CEB element from the customs XSD.

Used once to write src/ceb/fields.cc (and again whenever the schema changes):
  python3 tools/xsd_fields.py ../shared/spec/ceb/xsd/ceb-import-202205.xsd OrderHead ...
Each line: element field base minOcc length|minLength..maxLength totalDigits,fractionDigits enums doc
"""
import sys
import xml.etree.ElementTree as ET

XS = "{http://www.w3.org/2001/XMLSchema}"

def main():
    tree = ET.parse(sys.argv[1])
    root = tree.getroot()
    tops = {e.get("name"): e for e in root.findall(XS + "element")}
    for name in sys.argv[2:]:
        el = tops.get(name)
        if el is None:
            # nested (e.g. InvtCancel inside CEB623Message)
            for e in root.iter(XS + "element"):
                if e.get("name") == name:
                    el = e
                    break
        seq = el.find(f"{XS}complexType/{XS}sequence")
        for f in seq.findall(XS + "element"):
            fname = f.get("name") or f.get("ref")
            mino = f.get("minOccurs", "1")
            r = f.find(f"{XS}simpleType/{XS}restriction")
            base = r.get("base") if r is not None else f.get("type", "complex")
            facets = {}
            enums = []
            if r is not None:
                for c in r:
                    tag = c.tag.replace(XS, "")
                    if tag == "enumeration":
                        enums.append(c.get("value"))
                    else:
                        facets[tag] = c.get("value")
            doc = f.find(f"{XS}annotation/{XS}documentation")
            doc = (doc.text or "").strip().replace("\n", " ") if doc is not None else ""
            print(name, fname, base, mino, facets, enums, doc[:60], sep="\t")

main()
