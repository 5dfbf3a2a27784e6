// Validates the OpenAPI document at the URL given as the only argument;
// exits non-zero with the validator's message when it is invalid.
const SwaggerParser = require("@apidevtools/swagger-parser");

(async () => {
  const res = await fetch(process.argv[2]);
  const doc = await res.json();
  await SwaggerParser.validate(doc);
  console.log("valid");
})().catch((err) => {
  console.error(err.message);
  process.exit(1);
});
