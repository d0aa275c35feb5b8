//! The one font a document is set in: a TrueType-outline font (a `.ttf`, or
//! one face of a `.ttc` collection) read from disk once and shared.

use std::path::{Path, PathBuf};

/// Where a Debian or Ubuntu machine keeps a CJK TrueType font
/// (`fonts-wqy-microhei`, `fonts-wqy-zenhei`, `fonts-arphic-uming`).
const KNOWN: [&str; 3] = [
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
];

#[derive(Debug, thiserror::Error)]
pub enum FontError {
    #[error(
        "no Chinese font for PDF documents: install Debian's fonts-wqy-microhei or name a TrueType (.ttf/.ttc) file with --pdf-font"
    )]
    Missing,
    #[error("cannot read the font file {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{path} is not a usable font: {why}")]
    Unusable { path: PathBuf, why: &'static str },
    #[error("cannot embed the font: {0}")]
    Subset(String),
}

/// A parsed-once font file. Cheap to share behind an `Arc`.
pub struct Font {
    pub(crate) data: Vec<u8>,
    pub(crate) index: u32,
    pub(crate) name: String,
    pub(crate) units_per_em: f32,
    pub(crate) ascender: f32,
    pub(crate) descender: f32,
    pub(crate) cap_height: f32,
    pub(crate) bbox: [f32; 4],
}

impl std::fmt::Debug for Font {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Font").field("name", &self.name).field("bytes", &self.data.len()).finish()
    }
}

impl Font {
    /// The configured font if any, else the first of the known system
    /// locations that exists.
    pub fn discover(configured: Option<&Path>) -> Result<Font, FontError> {
        if let Some(p) = configured {
            return Font::load(p);
        }
        let found = KNOWN.iter().map(Path::new).find(|p| p.is_file()).ok_or(FontError::Missing)?;
        Font::load(found)
    }

    /// Reads face 0 of a `.ttf`/`.ttc` file, which must have TrueType
    /// outlines (`glyf`) and Chinese characters.
    pub fn load(path: &Path) -> Result<Font, FontError> {
        let data = std::fs::read(path).map_err(|source| FontError::Read { path: path.into(), source })?;
        Font::from_bytes(data, 0).map_err(|why| FontError::Unusable { path: path.into(), why })
    }

    pub fn from_bytes(data: Vec<u8>, index: u32) -> Result<Font, &'static str> {
        let face = ttf_parser::Face::parse(&data, index).map_err(|_| "not an OpenType font")?;
        if face.tables().glyf.is_none() {
            return Err("it has no TrueType outlines (glyf)");
        }
        if face.glyph_index('中').is_none() {
            return Err("it has no Chinese characters");
        }
        let name = face
            .names()
            .into_iter()
            .filter(|n| n.name_id == ttf_parser::name_id::POST_SCRIPT_NAME)
            .find_map(|n| n.to_string())
            .filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
            .unwrap_or_else(|| "CJKFont".into());
        let b = face.global_bounding_box();
        Ok(Font {
            name,
            index,
            units_per_em: f32::from(face.units_per_em()),
            ascender: f32::from(face.ascender()),
            descender: f32::from(face.descender()),
            cap_height: f32::from(face.capital_height().unwrap_or(face.ascender())),
            bbox: [b.x_min.into(), b.y_min.into(), b.x_max.into(), b.y_max.into()],
            // Last: the face borrowing it is not used after this.
            data,
        })
    }

    pub(crate) fn face(&self) -> ttf_parser::Face<'_> {
        ttf_parser::Face::parse(&self.data, self.index).expect("checked in from_bytes")
    }

    /// Scales font units to PDF's glyph space (1/1000 of the text size).
    pub(crate) fn to_pdf_units(&self, v: f32) -> f32 {
        v * 1000.0 / self.units_per_em
    }
}
