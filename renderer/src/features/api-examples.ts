// A first request to the running API, to paste into a terminal or a script: the address, key and model are
// the ones this computer serves now. JSON strings are quoted by JSON.stringify, so a value is never broken.
export function apiExamples(url: string, key: string, model: string): { curl: string; python: string } {
  const body = JSON.stringify({ model, messages: [{ role: 'user', content: 'Say hello in one sentence.' }] });
  return {
    curl: [
      `curl ${url}/chat/completions \\`,
      `  -H 'Authorization: Bearer ${key}' \\`,
      `  -H 'Content-Type: application/json' \\`,
      `  -d '${body.replace(/'/g, `'\\''`)}'`,
    ].join('\n'),
    python: [
      'from openai import OpenAI  # pip install openai',
      '',
      `client = OpenAI(base_url=${JSON.stringify(url)}, api_key=${JSON.stringify(key)})`,
      `reply = client.chat.completions.create(model=${JSON.stringify(model)}, messages=[{"role": "user", "content": "Say hello in one sentence."}])`,
      'print(reply.choices[0].message.content)',
    ].join('\n'),
  };
}
