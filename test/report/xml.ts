// Parses XML/SVG with a real parser (Python's xml.etree), so tests check well-formedness, not string shapes.
import { execa } from 'execa';

export interface XmlNode {
  tag: string;
  attrib: Record<string, string>;
  text: string;
  children: XmlNode[];
}

const SCRIPT = `
import json, sys, xml.etree.ElementTree as ET
def walk(e):
    return {"tag": e.tag.split("}")[-1], "attrib": dict(e.attrib), "text": e.text or "", "children": [walk(c) for c in e]}
print(json.dumps(walk(ET.parse(sys.argv[1]).getroot())))
`;

export async function parseXmlFile(file: string): Promise<XmlNode> {
  const { stdout } = await execa('python3', ['-c', SCRIPT, file]);
  return JSON.parse(stdout) as XmlNode;
}

export function findAll(node: XmlNode, tag: string): XmlNode[] {
  return [...(node.tag === tag ? [node] : []), ...node.children.flatMap((c) => findAll(c, tag))];
}
