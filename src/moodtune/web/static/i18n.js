// Every visible string of the page, in English and Korean, and the few helpers that apply them.
// Static markup names its string with data-i18n="key" (text) or data-i18n-<attribute>="key";
// scripts call t(key, {param}) and re-render on onLanguageChange.

const STORAGE_KEY = "moodtune.lang";

const DICT = {
  en: {
    skip_to_content: "Skip to content",
    tagline: "Music for the mood on your face",
    switch_language: "한국어",
    switch_language_label: "한국어로 보기 (switch to Korean)",
    face_title: "Your face",
    stage_empty: "Start the camera or upload a photo of your face, or choose your mood under Reading.",
    camera_start: "Start camera",
    camera_stop: "Stop camera",
    face_next: "Switch face",
    camera_hint: "Only the reading leaves this page: each frame is read in the server's memory and never stored.",
    upload_button: "Upload a photo",
    drop_hint: "or drop a photo here",
    choose_title: "Or choose your mood",
    choose_hint:
      "No camera, or does your face read wrong? Pick a mood, or a point on the pad: the playlist follows it, with the strategy chosen under Music, until you clear your choice.",
    choose_moods: "Choose a mood",
    pad_valence: "How pleasant",
    pad_arousal: "How energetic",
    pad_pleasant: "pleasant",
    pad_unpleasant: "unpleasant",
    pad_excited: "excited",
    pad_calm: "calm",
    choice_mood: "Your choice drives the playlist: {mood}.",
    choice_point: "Your choice drives the playlist: {mood} (pleasant {valence}, energetic {arousal}).",
    choice_clear: "Clear my choice",
    reading_title: "Reading",
    reading_empty: "No reading yet.",
    reading_settling: "Mood: {mood}. Hold still a moment…",
    reading_steady: "Mood: {mood}, steady.",
    reading_photo: "Mood from the photo: {mood}.",
    steady: "Steady",
    calibrated: "Calibrated",
    moods_title: "Mood",
    emotions_title: "Emotions",
    "mood.negative": "Negative",
    "mood.neutral": "Neutral",
    "mood.positive": "Positive",
    "emotion.neutral": "Neutral",
    "emotion.happiness": "Happiness",
    "emotion.surprise": "Surprise",
    "emotion.sadness": "Sadness",
    "emotion.anger": "Anger",
    "emotion.disgust": "Disgust",
    "emotion.fear": "Fear",
    "emotion.contempt": "Contempt",
    calibration_title: "Personal calibration",
    calibration_hint:
      "Some faces look a little sad or cross at rest. Keep a relaxed face and press the button: later readings are corrected for you.",
    calibrate_button: "This is my neutral face",
    calibration_reset: "Reset calibration",
    calibration_enabled: "Use my calibration",
    calibration_state_none: "No calibration stored.",
    calibration_state_on: "Your neutral face is stored and used.",
    calibration_state_off: "Your neutral face is stored but not used.",
    calibration_saved: "Saved: later readings are corrected for your neutral face.",
    calibration_removed: "Calibration removed.",
    calibration_needs_reading: "Show your face first (camera or photo), then press the button.",
    music_title: "Music",
    strategy_label: "Strategy",
    "strategy.match": "Match my mood",
    "strategy.lift": "Lift my mood",
    "strategy.calm": "Calm me down",
    "strategy.energize": "Energize me",
    language_label: "Song language",
    genre_label: "Genre",
    decade_label: "Decade",
    any: "Any",
    youtube_only_label: "Only songs with a YouTube video",
    build_button: "Build playlist",
    rebuild_button: "New playlist",
    build_hint_waiting: "The playlist is built once your reading is steady, or as soon as you choose your mood.",
    build_hint_ready: "Ready: press “Build playlist”.",
    build_hint_built: "{n} songs for a {mood} mood: {strategy}.",
    build_hint_chosen: "{n} songs for the {mood} mood you chose: {strategy}.",
    build_hint_shared: "A shared playlist: {n} songs.",
    building: "Building your playlist…",
    no_songs: "No song fits these filters. Try “Any” for one of them.",
    replan_text: "Your mood seems to have changed to {mood}. Re-plan the rest of the queue?",
    replan_yes: "Re-plan the rest of the queue",
    replan_no: "Keep the queue",
    replanned: "The rest of the queue now fits a {mood} mood.",
    now_playing: "Now playing",
    ready_to_play: "Ready to play",
    player_empty: "The player appears here once there is a playlist.",
    player_controls: "Player controls",
    prev: "Previous",
    play: "Play",
    pause: "Pause",
    next: "Next",
    like: "Like",
    dislike: "Dislike",
    more_like: "More like this",
    more_like_added: "Songs like this come next ({n}).",
    more_like_none: "No more songs like this were found.",
    queue_title: "Playlist",
    queue_empty: "No playlist yet. Show your face, upload a photo or choose your mood, and it appears here.",
    play_song: "Play {title} by {artist}",
    open_youtube: "Open on YouTube",
    open_spotify: "Open on Spotify",
    search_song: "Search for it",
    unplayable_tag: "unavailable, skipped",
    no_player_here: "This song cannot be played here.",
    listen_elsewhere: "Listen to it there:",
    spotify_title: "Spotify player: {title}",
    yt_unavailable:
      "The YouTube player could not load (you may be offline, or an ad blocker stops it), so songs cannot play on this page. The playlist still works: open each song with its link.",
    yt_loading: "Loading the YouTube player…",
    spotify_loading: "Loading the Spotify player…",
    spotify_unavailable:
      "The Spotify player could not load (you may be offline, or an ad blocker stops it), so songs without a video cannot play on this page: open each with its link.",
    spotify_hint:
      "Songs without a video play through Spotify: whole songs when this browser is signed in to Spotify, 30-second previews otherwise.",
    spotify_preview:
      "Spotify plays only 30-second previews here, because this browser is not signed in to Spotify. Sign in at open.spotify.com, then reload this page, to hear whole songs.",
    playlist_ended: "That was the last song of the playlist.",
    download_csv: "Download CSV",
    download_json: "Download JSON",
    share_button: "Share link",
    youtube_save: "Save to YouTube",
    youtube_connect: "Connect YouTube to save",
    youtube_saving: "Saving the playlist to your YouTube account…",
    youtube_saved: "Saved {n} songs to a private YouTube playlist.",
    youtube_saved_skipped: "{skipped} songs have no video and were left out.",
    youtube_open: "Open it on YouTube",
    youtube_not_configured: "Saving playlists to YouTube is not set up on this server.",
    youtube_denied: "YouTube was not connected: you declined on Google's page. Nothing was saved.",
    youtube_failed: "YouTube could not be connected ({code}). Try again later.",
    share_label: "Anyone with this link sees the playlist (no account):",
    share_copied: "Link copied.",
    shared_loading: "Opening the shared playlist…",
    shared_missing: "Not in this catalog, so left out: {n} of the shared songs.",
    data_title: "Your data",
    history_enabled: "Keep my mood history",
    history_on: "History is on: your steady readings (at most one every 10 seconds) and the moods you choose are kept.",
    history_off: "History is off: no reading is kept.",
    chart_empty: "No stored readings yet. Turn history on to see your mood over time.",
    chart_caption: "Your mood over time, from {from} to {to} ({n} stored). Higher is brighter.",
    chart_high: "bright",
    chart_low: "low",
    stored_counts: "Stored now: mood readings {readings}; likes, skips and plays {feedback}.",
    delete_all: "Delete all my data",
    confirm_delete: "Delete every reading, like, skip and your calibration? This cannot be undone.",
    deleted: "All your data was deleted.",
    no_face: "No face found. Try better light, or come a little closer to the camera.",
    no_face_photo: "No face found in this photo. Try a brighter, closer photo of a face looking at the camera.",
    "quality.too_dark": "It is a bit dark: more light helps.",
    "quality.too_small": "Your face is small in the picture: come a little closer.",
    "quality.blurred": "The picture is blurred: hold still.",
    "quality.turned_away": "Turn your face towards the camera.",
    overlay_label: "{n} faces found; the highlighted box drives the playlist.",
    overlay_label_one: "One face found; its box drives the playlist.",
    face_chosen: "This face now drives the playlist.",
    camera_denied: "The camera was not allowed. That is fine: upload a photo of your face below instead.",
    camera_not_found: "No camera was found. Upload a photo of your face below instead.",
    camera_unsupported: "This browser cannot open the camera here. Upload a photo of your face below instead.",
    camera_failed: "The camera could not start ({name}). Upload a photo of your face below instead.",
    camera_paused: "Paused while this tab is hidden.",
    upload_not_image: "That file is not an image. Choose a photo (JPEG, PNG, HEIC…).",
    upload_too_large: "That photo is too large (over {mb} MB). Choose a smaller one.",
    "error.rate_limited": "Too many requests: slowing down for a moment.",
    "error.overloaded": "The server is busy: trying again in a moment.",
    "error.network": "The moodtune server cannot be reached. Check that it is running.",
    "error.unsupported_image_format": "That file is not an image moodtune can read. Choose a JPEG or PNG photo.",
    "error.corrupt_image": "That image is damaged and cannot be read.",
    "error.empty_image": "That image is empty.",
    "error.image_too_small": "That image is too small to find a face in.",
    "error.image_too_large": "That image is too large.",
    "error.song_not_found": "That song is not in the catalog.",
    footer: "moodtune: no image ever leaves the memory of the request.",
  },
  ko: {
    skip_to_content: "본문으로 건너뛰기",
    tagline: "얼굴에 담긴 기분에 맞는 음악",
    switch_language: "English",
    switch_language_label: "Switch to English (영어로 보기)",
    face_title: "내 얼굴",
    stage_empty: "카메라를 켜거나 얼굴 사진을 올려 주세요. ‘판독 결과’에서 기분을 직접 고를 수도 있습니다.",
    camera_start: "카메라 켜기",
    camera_stop: "카메라 끄기",
    face_next: "다른 얼굴 선택",
    camera_hint: "이 페이지를 떠나는 것은 판독 결과뿐입니다. 각 프레임은 서버 메모리에서만 읽히고 저장되지 않습니다.",
    upload_button: "사진 올리기",
    drop_hint: "또는 여기에 사진을 끌어다 놓으세요",
    choose_title: "또는 기분을 직접 고르기",
    choose_hint:
      "카메라가 없거나 얼굴이 잘못 읽히나요? 기분을 고르거나 패드에서 한 점을 누르세요. 선택을 지울 때까지 ‘음악’에서 고른 전략으로 플레이리스트가 따라옵니다.",
    choose_moods: "기분 고르기",
    pad_valence: "얼마나 좋은지",
    pad_arousal: "얼마나 활기찬지",
    pad_pleasant: "좋음",
    pad_unpleasant: "불쾌함",
    pad_excited: "들뜸",
    pad_calm: "차분함",
    choice_mood: "직접 고른 기분으로 플레이리스트를 만듭니다: {mood}.",
    choice_point: "직접 고른 기분으로 플레이리스트를 만듭니다: {mood} (좋음 {valence}, 활기 {arousal}).",
    choice_clear: "선택 지우기",
    reading_title: "판독 결과",
    reading_empty: "아직 판독 결과가 없습니다.",
    reading_settling: "기분: {mood}. 잠시 그대로 있어 주세요…",
    reading_steady: "기분: {mood}, 안정됨.",
    reading_photo: "사진 속 기분: {mood}.",
    steady: "안정됨",
    calibrated: "보정됨",
    moods_title: "기분",
    emotions_title: "감정",
    "mood.negative": "부정적",
    "mood.neutral": "중립",
    "mood.positive": "긍정적",
    "emotion.neutral": "무표정",
    "emotion.happiness": "행복",
    "emotion.surprise": "놀람",
    "emotion.sadness": "슬픔",
    "emotion.anger": "분노",
    "emotion.disgust": "혐오",
    "emotion.fear": "두려움",
    "emotion.contempt": "경멸",
    calibration_title: "개인 보정",
    calibration_hint:
      "어떤 얼굴은 편히 있을 때도 조금 슬프거나 화나 보입니다. 편안한 표정으로 버튼을 누르면 이후 판독이 내 얼굴에 맞게 보정됩니다.",
    calibrate_button: "지금이 내 무표정입니다",
    calibration_reset: "보정 초기화",
    calibration_enabled: "내 보정 사용",
    calibration_state_none: "저장된 보정이 없습니다.",
    calibration_state_on: "내 무표정이 저장되어 사용 중입니다.",
    calibration_state_off: "내 무표정이 저장되어 있지만 사용하지 않습니다.",
    calibration_saved: "저장했습니다. 이후 판독은 내 무표정에 맞게 보정됩니다.",
    calibration_removed: "보정을 지웠습니다.",
    calibration_needs_reading: "먼저 얼굴을 보여 주세요(카메라 또는 사진). 그다음 버튼을 누르세요.",
    music_title: "음악",
    strategy_label: "전략",
    "strategy.match": "기분에 맞추기",
    "strategy.lift": "기분 끌어올리기",
    "strategy.calm": "차분하게",
    "strategy.energize": "활기차게",
    language_label: "노래 언어",
    genre_label: "장르",
    decade_label: "연대",
    any: "전체",
    youtube_only_label: "YouTube 영상이 있는 노래만",
    build_button: "플레이리스트 만들기",
    rebuild_button: "새 플레이리스트",
    build_hint_waiting: "판독이 안정되거나 기분을 직접 고르면 바로 플레이리스트를 만듭니다.",
    build_hint_ready: "준비됐습니다. “플레이리스트 만들기”를 누르세요.",
    build_hint_built: "{mood} 기분을 위한 {n}곡: {strategy}.",
    build_hint_chosen: "직접 고른 {mood} 기분을 위한 {n}곡: {strategy}.",
    build_hint_shared: "공유된 플레이리스트: {n}곡.",
    building: "플레이리스트를 만드는 중…",
    no_songs: "이 조건에 맞는 노래가 없습니다. 조건 하나를 “전체”로 바꿔 보세요.",
    replan_text: "기분이 {mood}(으)로 바뀐 것 같습니다. 남은 곡을 다시 짤까요?",
    replan_yes: "남은 곡 다시 짜기",
    replan_no: "그대로 두기",
    replanned: "남은 곡을 {mood} 기분에 맞게 다시 짰습니다.",
    now_playing: "지금 재생 중",
    ready_to_play: "재생 준비됨",
    player_empty: "플레이리스트가 생기면 여기에 플레이어가 나타납니다.",
    player_controls: "플레이어 조작",
    prev: "이전",
    play: "재생",
    pause: "일시정지",
    next: "다음",
    like: "좋아요",
    dislike: "싫어요",
    more_like: "비슷한 곡 더",
    more_like_added: "비슷한 곡 {n}곡이 다음에 나옵니다.",
    more_like_none: "비슷한 곡을 더 찾지 못했습니다.",
    queue_title: "플레이리스트",
    queue_empty: "아직 플레이리스트가 없습니다. 얼굴을 보여 주거나, 사진을 올리거나, 기분을 고르면 여기에 나타납니다.",
    play_song: "{artist}의 {title} 재생",
    open_youtube: "YouTube에서 열기",
    open_spotify: "Spotify에서 열기",
    search_song: "검색하기",
    unplayable_tag: "재생할 수 없어 건너뜀",
    no_player_here: "이 노래는 여기서 재생할 수 없습니다.",
    listen_elsewhere: "여기서 들어 보세요:",
    spotify_title: "Spotify 플레이어: {title}",
    yt_unavailable:
      "YouTube 플레이어를 불러올 수 없어(오프라인이거나 광고 차단기가 막고 있을 수 있습니다) 이 페이지에서 노래를 재생할 수 없습니다. 플레이리스트는 그대로 쓸 수 있으니 각 노래의 링크로 여세요.",
    yt_loading: "YouTube 플레이어를 불러오는 중…",
    spotify_loading: "Spotify 플레이어를 불러오는 중…",
    spotify_unavailable:
      "Spotify 플레이어를 불러올 수 없어(오프라인이거나 광고 차단기가 막고 있을 수 있습니다) 영상이 없는 노래는 이 페이지에서 재생할 수 없습니다. 각 노래의 링크로 여세요.",
    spotify_hint:
      "영상이 없는 노래는 Spotify로 재생됩니다. 이 브라우저에서 Spotify에 로그인하면 전곡을, 아니면 30초 미리듣기를 들을 수 있습니다.",
    spotify_preview:
      "이 브라우저가 Spotify에 로그인되어 있지 않아 Spotify는 30초 미리듣기만 재생합니다. open.spotify.com에서 로그인한 뒤 이 페이지를 새로 고치면 전곡을 들을 수 있습니다.",
    playlist_ended: "플레이리스트의 마지막 곡이었습니다.",
    download_csv: "CSV 내려받기",
    download_json: "JSON 내려받기",
    share_button: "공유 링크",
    youtube_save: "YouTube에 저장",
    youtube_connect: "YouTube 연결 후 저장",
    youtube_saving: "YouTube 계정에 플레이리스트를 저장하는 중…",
    youtube_saved: "{n}곡을 비공개 YouTube 플레이리스트에 저장했습니다.",
    youtube_saved_skipped: "영상이 없는 {skipped}곡은 제외했습니다.",
    youtube_open: "YouTube에서 열기",
    youtube_not_configured: "이 서버에는 YouTube 플레이리스트 저장이 설정되어 있지 않습니다.",
    youtube_denied: "YouTube가 연결되지 않았습니다: Google 페이지에서 거절하셨습니다. 저장된 것은 없습니다.",
    youtube_failed: "YouTube를 연결하지 못했습니다 ({code}). 나중에 다시 시도해 주세요.",
    share_label: "이 링크가 있으면 누구나 플레이리스트를 볼 수 있습니다(계정 불필요):",
    share_copied: "링크를 복사했습니다.",
    shared_loading: "공유된 플레이리스트를 여는 중…",
    shared_missing: "공유 링크의 {n}곡은 이 카탈로그에 없습니다.",
    data_title: "내 데이터",
    history_enabled: "기분 기록 남기기",
    history_on: "기록이 켜져 있습니다. 안정된 판독(10초에 최대 한 번)과 직접 고른 기분이 저장됩니다.",
    history_off: "기록이 꺼져 있습니다. 판독은 저장되지 않습니다.",
    chart_empty: "저장된 판독이 아직 없습니다. 기록을 켜면 시간에 따른 기분을 볼 수 있습니다.",
    chart_caption: "시간에 따른 내 기분: {from}부터 {to}까지 {n}개의 판독. 위로 갈수록 밝은 기분입니다.",
    chart_high: "밝음",
    chart_low: "가라앉음",
    stored_counts: "지금 저장된 것: 판독 {readings}개, 좋아요·건너뛰기·재생 {feedback}건.",
    stored_statement:
      "저장되는 것: 좋아요·싫어요·건너뛰기·끝까지 들은 곡(취향을 배우기 위해), 기록을 켰을 때의 기분 판독과 직접 고른 기분, 저장한 무표정 보정값. 이미지는 요청을 처리하는 메모리를 절대 벗어나지 않으며 저장되지 않습니다.",
    delete_all: "내 데이터 모두 삭제",
    confirm_delete: "모든 판독, 좋아요, 건너뛰기와 보정값을 삭제할까요? 되돌릴 수 없습니다.",
    deleted: "내 데이터를 모두 삭제했습니다.",
    no_face: "얼굴을 찾지 못했습니다. 더 밝은 곳에서, 카메라에 조금 더 가까이 와 주세요.",
    no_face_photo: "이 사진에서 얼굴을 찾지 못했습니다. 카메라를 바라보는 더 밝고 가까운 얼굴 사진을 써 보세요.",
    "quality.too_dark": "조금 어둡습니다. 조명을 밝혀 주세요.",
    "quality.too_small": "얼굴이 작게 보입니다. 조금 더 가까이 와 주세요.",
    "quality.blurred": "화면이 흐립니다. 잠시 움직이지 마세요.",
    "quality.turned_away": "얼굴을 카메라 쪽으로 돌려 주세요.",
    overlay_label: "얼굴 {n}개를 찾았습니다. 강조된 상자의 얼굴로 플레이리스트를 만듭니다.",
    overlay_label_one: "얼굴 하나를 찾았습니다. 이 얼굴로 플레이리스트를 만듭니다.",
    face_chosen: "이제 이 얼굴로 플레이리스트를 만듭니다.",
    camera_denied: "카메라가 허용되지 않았습니다. 괜찮습니다. 아래에서 얼굴 사진을 올려 주세요.",
    camera_not_found: "카메라를 찾지 못했습니다. 아래에서 얼굴 사진을 올려 주세요.",
    camera_unsupported: "이 브라우저에서는 카메라를 열 수 없습니다. 아래에서 얼굴 사진을 올려 주세요.",
    camera_failed: "카메라를 켤 수 없습니다({name}). 아래에서 얼굴 사진을 올려 주세요.",
    camera_paused: "이 탭이 가려져 있는 동안 멈춥니다.",
    upload_not_image: "이미지 파일이 아닙니다. 사진(JPEG, PNG, HEIC 등)을 골라 주세요.",
    upload_too_large: "사진이 너무 큽니다({mb}MB 초과). 더 작은 사진을 골라 주세요.",
    "error.rate_limited": "요청이 너무 많습니다. 잠시 속도를 줄입니다.",
    "error.overloaded": "서버가 바쁩니다. 잠시 후 다시 시도합니다.",
    "error.network": "moodtune 서버에 연결할 수 없습니다. 서버가 실행 중인지 확인하세요.",
    "error.unsupported_image_format": "moodtune이 읽을 수 있는 이미지가 아닙니다. JPEG나 PNG 사진을 골라 주세요.",
    "error.corrupt_image": "손상된 이미지라 읽을 수 없습니다.",
    "error.empty_image": "빈 이미지입니다.",
    "error.image_too_small": "이미지가 너무 작아 얼굴을 찾을 수 없습니다.",
    "error.image_too_large": "이미지가 너무 큽니다.",
    "error.song_not_found": "카탈로그에 없는 노래입니다.",
    footer: "moodtune: 이미지는 요청을 처리하는 메모리를 절대 벗어나지 않습니다.",
  },
};

export const LANGUAGES = Object.keys(DICT);
const listeners = [];

function initialLanguage() {
  let stored = null;
  try {
    stored = localStorage.getItem(STORAGE_KEY);
  } catch {
    // storage can be disabled (private mode, policies): fall back to the browser's language
  }
  if (stored && DICT[stored]) return stored;
  const prefs = navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language];
  for (const pref of prefs) {
    const code = String(pref || "").toLowerCase();
    if (code.startsWith("ko")) return "ko";
    if (code.startsWith("en")) return "en";
  }
  return "en";
}

let current = initialLanguage();

export function language() {
  return current;
}

/** The string for `key` in the current language (English, then the key itself, as fallbacks). */
export function t(key, params = {}) {
  const text = DICT[current][key] ?? DICT.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (m, name) => (name in params ? String(params[name]) : m));
}

export function has(key) {
  return key in DICT[current] || key in DICT.en;
}

/** Fill every data-i18n / data-i18n-<attr> element under `root`. */
export function applyTranslations(root = document) {
  for (const el of root.querySelectorAll("[data-i18n]")) {
    el.textContent = t(el.dataset.i18n);
  }
  for (const el of root.querySelectorAll("*")) {
    for (const [name, key] of Object.entries(el.dataset)) {
      if (!name.startsWith("i18n") || name === "i18n") continue;
      // data-i18n-aria-label -> dataset.i18nAriaLabel -> attribute aria-label
      const attr = name
        .slice(4)
        .replace(/[A-Z]/g, (c) => "-" + c.toLowerCase())
        .replace(/^-/, "");
      el.setAttribute(attr, t(key));
    }
  }
}

export function setLanguage(lang) {
  if (!DICT[lang]) return;
  current = lang;
  try {
    localStorage.setItem(STORAGE_KEY, lang);
  } catch {
    // not remembered, still switched
  }
  document.documentElement.lang = lang;
  applyTranslations();
  for (const fn of listeners) fn(lang);
}

export function onLanguageChange(fn) {
  listeners.push(fn);
}

/** A display name for a language code ("ko" -> "Korean" / "한국어"), from the browser itself. */
export function languageName(code) {
  try {
    const names = new Intl.DisplayNames([current], { type: "language" });
    return names.of(code) || code;
  } catch {
    return code;
  }
}

/** Milliseconds since 1970 from an API time: epoch seconds (a number) or an ISO 8601 string. */
export function toMillis(at) {
  if (typeof at === "number") return at < 1e11 ? at * 1000 : at;
  return Date.parse(at);
}

export function formatTime(at) {
  const d = new Date(toMillis(at));
  if (Number.isNaN(d.getTime())) return String(at);
  return d.toLocaleString(current === "ko" ? "ko-KR" : "en-GB", {
    month: "short",
    day: "numeric",
    hour: "2-digit",
    minute: "2-digit",
  });
}

export function percent(x) {
  return new Intl.NumberFormat(current === "ko" ? "ko-KR" : "en-US", {
    style: "percent",
    maximumFractionDigits: 0,
  }).format(x);
}
