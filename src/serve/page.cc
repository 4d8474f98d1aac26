// GET /: the page people try the model in (src/serve/page/index.html). It calls the same public
// routes as any client (/info, /embed, /predict, /attention), so it needs nothing of its own here.
#include "serve/api.h"
#include "serve/page_html.h"

namespace vit::serve {

Response Page(ServeContext&, const Request&) {
  Response r;
  r.content_type = "text/html; charset=utf-8";
  r.body = kPageHtml;
  r.headers.emplace_back("Cache-Control", "no-cache");
  return r;
}

}  // namespace vit::serve
