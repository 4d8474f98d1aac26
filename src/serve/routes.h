#pragma once

#include "serve/context.h"
#include "serve/http.h"

namespace vit::serve {

// Registers every route of the server on `http`; the handlers keep a reference to `context`.
void RegisterRoutes(HttpServer& http, ServeContext& context);

}  // namespace vit::serve
