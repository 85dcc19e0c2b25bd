//! A browser without JavaScript for tests and the demo: follows redirects by hand (POST
//! answered with 303 continues with GET, as browsers do), keeps the page's session cookie,
//! and reads the CSRF token of the page's forms.

/// A browser without JavaScript: follows redirects by hand, keeps the session cookie.
pub struct Browser {
    http: reqwest::Client,
    base: String,
    /// The session cookie (`koppel_session=…`), once signed in.
    pub session: Option<String>,
    /// Everything the browser saw: every URL asked, every `Location` and `Set-Cookie`, every
    /// body (tests scan it for tokens).
    pub transcript: String,
}

impl Browser {
    /// A browser for the page at `base` (`http://127.0.0.1:port`).
    pub fn new(base: &str) -> Self {
        Self {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("http client"),
            base: base.to_owned(),
            session: None,
            transcript: String::new(),
        }
    }

    /// GET `url` (a path of the page or a full URL), following redirects; the final body.
    pub async fn open(&mut self, url: &str) -> Result<(u16, String), String> {
        let mut url = if url.starts_with('/') {
            format!("{}{url}", self.base)
        } else {
            url.to_owned()
        };
        for _ in 0..10 {
            let mut request = self.http.get(&url).header("accept-language", "nl-BE");
            if url.starts_with(&self.base)
                && let Some(session) = &self.session
            {
                request = request.header("cookie", session);
            }
            let response = request.send().await.map_err(|e| e.to_string())?;
            self.saw(&url, response.headers());
            for cookie in response.headers().get_all("set-cookie") {
                let cookie = cookie.to_str().unwrap_or_default();
                if let Some(pair) = cookie.split(';').next()
                    && pair.starts_with("koppel_session=")
                {
                    self.session = Some(pair.to_owned());
                }
            }
            let status = response.status().as_u16();
            match response.headers().get("location") {
                Some(location) if (300..400).contains(&status) => {
                    let location = location.to_str().unwrap_or_default();
                    url = if location.starts_with('/') {
                        format!("{}{location}", self.base)
                    } else {
                        location.to_owned()
                    };
                }
                _ => {
                    let body = response.text().await.unwrap_or_default();
                    self.transcript.push_str(&body);
                    return Ok((status, body));
                }
            }
        }
        Err(format!("too many redirects at {url}"))
    }

    fn saw(&mut self, url: &str, headers: &reqwest::header::HeaderMap) {
        self.transcript.push_str(url);
        self.transcript.push('\n');
        for name in ["location", "set-cookie"] {
            for value in headers.get_all(name) {
                self.transcript.push_str(value.to_str().unwrap_or_default());
                self.transcript.push('\n');
            }
        }
    }

    /// POST `form` to a path of the page, then follow the redirects; the final body.
    pub async fn post(
        &mut self,
        path: &str,
        form: &[(&str, &str)],
    ) -> Result<(u16, String), String> {
        let mut request = self
            .http
            .post(format!("{}{path}", self.base))
            .header("accept-language", "nl-BE")
            .form(form);
        if let Some(session) = &self.session {
            request = request.header("cookie", session);
        }
        let response = request.send().await.map_err(|e| e.to_string())?;
        self.saw(&format!("POST {}{path}", self.base), response.headers());
        let status = response.status().as_u16();
        match response.headers().get("location") {
            Some(location) if (300..400).contains(&status) => {
                let location = location.to_str().unwrap_or_default().to_owned();
                self.open(&location).await
            }
            _ => {
                let body = response.text().await.unwrap_or_default();
                self.transcript.push_str(&body);
                Ok((status, body))
            }
        }
    }

    /// The CSRF token of the first form of `page`.
    pub fn csrf(page: &str) -> Option<String> {
        let marker = "name=\"csrf\" value=\"";
        let start = page.find(marker)? + marker.len();
        page[start..].split('"').next().map(str::to_owned)
    }

    /// The option values of the `<select name=…>` of `page` (the page's HTML as served:
    /// `maud` writes `<option value="…">`), empty values left out.
    pub fn options(page: &str, select: &str) -> Vec<String> {
        let Some(start) = page.find(&format!("name=\"{select}\"")) else {
            return Vec::new();
        };
        let end = page[start..]
            .find("</select>")
            .map_or(page.len(), |e| e + start);
        page[start..end]
            .split("<option value=\"")
            .skip(1)
            .filter_map(|o| o.split('"').next())
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
            .collect()
    }
}
