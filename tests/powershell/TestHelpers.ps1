<#
    The PowerShell tests' own helpers, which simulate nothing: generate bundles with the Python
    generator, read the installed script's log, wait for a condition, check a metrics text with
    promtool. Dot-source it after sim/SimulatedWindows.ps1, whose Get-SimPython, Write-SimText and
    $global:WslppSim it uses. Global, like the simulation's functions, so that the module's session
    state and every Describe block see them.
#>

Set-StrictMode -Version Latest

function global:New-TestBundle {
    <# Generates the bundles of an inventory (YAML text) with the Python generator; returns the output folder. #>
    param([Parameter(Mandatory)] [string] $Inventory, [string] $FileName = 'inventory.yaml')
    $folder = Join-Path ([System.IO.Path]::GetTempPath()) ("bundle-" + [guid]::NewGuid().ToString('n'))
    New-Item -ItemType Directory -Path $folder | Out-Null
    $file = Join-Path $folder $FileName
    Write-SimText -Path $file -Text $Inventory
    $python = Get-SimPython
    $output = & $python -m wsl_portproxy generate $file -o (Join-Path $folder 'dist') 2>&1
    if ($LASTEXITCODE -ne 0) { throw "generate failed ($LASTEXITCODE): $output" }
    return Join-Path $folder 'dist'
}

function global:Test-Promtool {
    <#
        promtool check metrics on a metrics text, as exact bytes; returns its exit code and output.
        Uses .tools/bin/promtool (.ci/install-tools takes it out of Debian's prometheus package), else
        promtool on PATH. A missing promtool fails the test.
    #>
    param([Parameter(Mandatory)] [string] $Text)
    $promtool = Join-Path $PSScriptRoot '../../.tools/bin/promtool'
    if (-not (Test-Path -LiteralPath $promtool -PathType Leaf)) {
        $promtool = (Get-Command -Name promtool -CommandType Application -ErrorAction SilentlyContinue |
            Select-Object -First 1).Source
    }
    if (-not $promtool) { throw 'promtool is not installed (.ci/install-tools puts it in .tools/bin)' }
    $file = Join-Path ([System.IO.Path]::GetTempPath()) "promtool-$([guid]::NewGuid().ToString('n')).prom"
    [System.IO.File]::WriteAllBytes($file, (New-Object System.Text.UTF8Encoding $false).GetBytes($Text))
    try { $output = & sh -c '"$1" check metrics < "$2" 2>&1' sh $promtool $file; $code = $LASTEXITCODE }
    finally { Remove-Item -LiteralPath $file }
    return [pscustomobject]@{ ExitCode = $code; Output = "$output" }
}

function global:Get-UpdateLog {
    <# The installed script's whole log (default install_dir): rotated generations, oldest first, then the current file. #>
    $logs = Join-Path $global:WslppSim.ProgramData 'WslPortProxy/logs'
    $names = @(4, 3, 2, 1 | ForEach-Object { "Update-WslPortProxy.$_.log" }) + 'Update-WslPortProxy.log'
    $parts = foreach ($name in $names) {
        $path = Join-Path $logs $name
        if (Test-Path -LiteralPath $path) { Get-Content -LiteralPath $path -Raw }
    }
    return (@($parts) -join '')
}
function global:Wait-Until {
    <# Polls a condition every 50 ms; returns the seconds it took, or fails after Seconds. #>
    param([scriptblock] $Condition, [double] $Seconds = 15, [string] $Because)
    $watch = [System.Diagnostics.Stopwatch]::StartNew()
    while (-not (& $Condition)) {
        if ($watch.Elapsed.TotalSeconds -gt $Seconds) { throw "Timed out after $Seconds s waiting until $Because" }
        Start-Sleep -Milliseconds 50
    }
    return $watch.Elapsed.TotalSeconds
}
