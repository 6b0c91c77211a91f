# Unit tests: reading and validating the settings data, deriving the rules (Private/Settings.ps1).

BeforeAll {
    . (Join-Path $PSScriptRoot 'Unit.ps1')
}

Describe 'Import-Settings' {
    BeforeEach { New-SimulatedWindows | Out-Null }
    AfterEach { Remove-SimulatedWindows }

    It 'Given a valid settings table, returns typed settings with one rule per forwarded port' {
        InModuleScope WslPortProxy {
            $settings = Import-Settings -Settings (New-TestSettings)
            $settings.PSObject.TypeNames | Should -Contain 'WslPortProxy.Settings'
            $settings.InstallDirectory | Should -Be (Join-Path $env:ProgramData 'WslPortProxy')
            @($settings.Rules | ForEach-Object { "$($_.Key)>$($_.ConnectPort)" }) |
                Should -Be @('0.0.0.0/80>80', '0.0.0.0/9000>9100', '0.0.0.0/9001>9101', '0.0.0.0/9002>9102')
            @($settings.FirewallRules) | Should -HaveCount 1   # the range has no AllowFrom
            $settings.FirewallRules[0].Name | Should -Be 'WslPortProxy-TCP-0.0.0.0-80'
            Import-Settings -Settings $settings | Should -Be $settings   # already validated: as is
        }
    }

    It 'Given a settings file, reads it as data and remembers its folder' {
        $path = Join-Path $TestDrive 'WslPortProxy.Settings.psd1'
        Set-Content -LiteralPath $path -Value "@{ SchemaVersion = 4; Generator = 'x'; Server = 'A'; Distro = 'd'; RunAs = `$null; Start = 'logon'; PodmanMachine = `$false; WaitForWslSeconds = 5; RecheckSeconds = 0; KeepAlive = `$true; CommandTimeoutSeconds = @{ Wsl = 9; Podman = 9; Netsh = 9 }; InstallDirectory = 'D:\Tools\Wsl'; MetricsFile = 'D:\Metrics\wsl.prom'; FirewallProfiles = @('Any'); AutoPorts = `$null; Ports = @(@{ ListenAddress = '10.0.0.1'; ListenPort = 22; LastListenPort = 22; ConnectPort = 2222; AllowFrom = @('10.0.0.0/8') }) }"
        InModuleScope WslPortProxy -Parameters @{ Path = $path } {
            param($Path)
            $settings = Import-Settings -Settings $Path
            $settings.Folder | Should -Be (Split-Path -Parent $Path)
            $settings.RunAs | Should -BeNullOrEmpty
            $settings.MetricsFile | Should -Be ([System.IO.Path]::Combine('D:\', 'Metrics', 'wsl.prom'))
            $settings.FirewallRules[0].LocalAddress | Should -Be '10.0.0.1'
            $settings.FirewallRules[0].DisplayName | Should -Be 'WSL port proxy: TCP 22 on 10.0.0.1 to WSL 2222'
            Import-Settings -Settings (Get-Item -LiteralPath $Path) | Select-Object -ExpandProperty Server | Should -Be 'A'
        }
    }

    It 'Given a missing file, fails with exit code 10 and ErrorId InvalidSettings' {
        InModuleScope WslPortProxy -Parameters @{ Path = (Join-Path $TestDrive 'none.psd1') } {
            param($Path)
            { Import-Settings -Settings $Path } | Should -Throw -ErrorId 'WslPortProxy.InvalidSettings' -ExpectedMessage "The settings file $Path cannot be read: *"
            try { Import-Settings -Settings $Path } catch { Get-FailureExitCode -ErrorRecord $_ | Should -Be 10 }
        }
    }

    It 'Given a file that is code, not data, refuses it without running it' {
        $path = Join-Path $TestDrive 'evil.psd1'
        $canary = Join-Path $TestDrive 'ran.txt'
        Set-Content -LiteralPath $path -Value "@{ SchemaVersion = 3; Server = `$(Set-Content -LiteralPath '$canary' -Value x) }"
        InModuleScope WslPortProxy -Parameters @{ Path = $path } {
            param($Path)
            { Import-Settings -Settings $Path } | Should -Throw -ErrorId 'WslPortProxy.InvalidSettings'
        }
        Test-Path -LiteralPath $canary | Should -BeFalse
    }

    It 'Given neither a path nor a table, says what it needs' {
        InModuleScope WslPortProxy {
            { Import-Settings -Settings 42 } | Should -Throw -ErrorId 'WslPortProxy.InvalidSettings' -ExpectedMessage 'Settings must be the path of a settings file or a hashtable of settings.'
        }
    }

    It 'Given <Case>, names every problem in one message' -ForEach @(
        @{ Case = 'another SchemaVersion'; Change = @{ SchemaVersion = 1 }; Message = "The settings cannot be used: SchemaVersion is '1', but this module reads SchemaVersion 4: install the module and the settings from the same bundle." }
        @{ Case = 'a metrics file that is not .prom'; Change = @{ MetricsFile = 'D:\m\wsl.txt' }; Message = "The settings cannot be used: settings: MetricsFile 'D:\m\wsl.txt' must end in .prom (windows_exporter reads only .prom files)." }
        @{ Case = 'a missing key and an unknown one'; Change = @{ Distro = $null; Colour = 'blue' }; Message = "The settings cannot be used: settings: Distro is missing; settings: Colour is not a setting." }
        @{ Case = 'a wrong type'; Change = @{ KeepAlive = 'yes' }; Message = "The settings cannot be used: settings: KeepAlive must be of type Bool, not 'yes'." }
        @{ Case = 'a bad Start, timings and no ports'; Change = @{ Start = 'reboot'; WaitForWslSeconds = 0; Ports = @() }; Message = "The settings cannot be used: settings: Start must be 'boot' or 'logon', not 'reboot'; settings: WaitForWslSeconds must be at least 1 and RecheckSeconds at least 0; settings: Ports is empty (and there are no AutoPorts)." }
        @{ Case = 'bad AutoPorts'; Change = @{ AutoPorts = @{ From = 'docker'; ListenAddress = '0.0.0.0'; AllowFrom = @(); Limit = 5; Allow = @(@{ First = 90; Last = 80 }, @{ First = 1 }) } }; Message = "The settings cannot be used: settings: AutoPorts.From must be 'podman' (PodmanMachine is True), not 'docker'; settings: AutoPorts.Allow[0]: 90-80 is not a range of ports 1-65535; settings: AutoPorts.Allow[1]: Last is missing." }
        @{ Case = 'bad port entries'; Change = @{ Ports = @(@{ ListenAddress = 'web'; ListenPort = 0; LastListenPort = 1; ConnectPort = 1; AllowFrom = @() }, @{ ListenPort = 1 }) }; Message = "The settings cannot be used: settings: Ports[0]: the ports 0-1 -> 1 are not 1-65535; settings: Ports[0]: ListenAddress 'web' is not an IPv4 or IPv6 address; settings: Ports[1]: ListenAddress is missing; settings: Ports[1]: LastListenPort is missing; settings: Ports[1]: ConnectPort is missing; settings: Ports[1]: AllowFrom is missing." }
    ) {
        $data = New-TestSettings -Overrides $Change
        foreach ($key in @($Change.Keys)) { if ($null -eq $Change[$key]) { $data.Remove($key) } }
        InModuleScope WslPortProxy -Parameters @{ Data = $data; Message = $Message } {
            param($Data, $Message)
            { Import-Settings -Settings $Data } | Should -Throw -ErrorId 'WslPortProxy.InvalidSettings' -ExpectedMessage ([WildcardPattern]::Escape($Message))
        }
    }
}

Describe 'IPv6 listen addresses in the settings' {
    It 'accepts an IPv6 ListenAddress; :: gets a firewall rule for any local address, one address its own' {
        $data = New-TestSettings -Overrides @{ Ports = @(
                @{ ListenAddress = '::'; ListenPort = 80; LastListenPort = 80; ConnectPort = 80; AllowFrom = @('2001:db8::/32') }
                @{ ListenAddress = '2001:db8::12'; ListenPort = 81; LastListenPort = 81; ConnectPort = 81; AllowFrom = @('LocalSubnet') }) }
        InModuleScope WslPortProxy -Parameters @{ Data = $data } {
            param($Data)
            Mock Resolve-InstallDirectory { 'D:\WslPortProxy' }
            $settings = Import-Settings -Settings $Data
            @($settings.Rules).Key | Should -Be @('::/80', '2001:db8::12/81')
            $specs = @($settings.FirewallRules)
            @($specs | ForEach-Object { '{0} {1} {2}' -f $_.Name, $_.LocalAddress, $_.DisplayName }) | Should -Be @(
                'WslPortProxy-TCP-::-80 Any WSL port proxy: TCP 80 on IPv6 to WSL 80'
                'WslPortProxy-TCP-2001:db8::12-81 2001:db8::12 WSL port proxy: TCP 81 on 2001:db8::12 to WSL 81')
        }
    }

    It 'Test-ListenAddress tells <Address>: <Valid>' -ForEach @(
        @{ Address = '0.0.0.0'; Valid = $true }, @{ Address = '::'; Valid = $true }, @{ Address = '2001:db8::12'; Valid = $true }
        @{ Address = 'fe80::1%12'; Valid = $false }, @{ Address = 'web'; Valid = $false }, @{ Address = ''; Valid = $false }
    ) {
        InModuleScope WslPortProxy -Parameters @{ Address = $Address; Valid = $Valid } {
            param($Address, $Valid)
            Test-ListenAddress -Address $Address | Should -Be $Valid
        }
    }
}

Describe 'Resolve-InstallDirectory' {
    BeforeEach { New-SimulatedWindows | Out-Null }
    AfterEach { Remove-SimulatedWindows }

    It 'Given <Path>, resolves it' -ForEach @(
        @{ Path = '%ProgramData%\WslPortProxy'; Root = 'ProgramData'; Rest = @('WslPortProxy') }
        @{ Path = '%ProgramFiles%\Wsl Proxy\state (1)'; Root = 'ProgramFiles'; Rest = @('Wsl Proxy', 'state (1)') }
    ) {
        InModuleScope WslPortProxy -Parameters @{ Path = $Path; Root = $Root; Rest = $Rest } {
            param($Path, $Root, $Rest)
            Resolve-InstallDirectory -Path $Path | Should -Be ([System.IO.Path]::Combine([string[]] (@([Environment]::GetEnvironmentVariable($Root)) + $Rest)))
        }
    }

    It 'Given a drive letter, roots the path there' {
        InModuleScope WslPortProxy {
            Resolve-InstallDirectory -Path 'D:\Tools\Wsl' | Should -Be ([System.IO.Path]::Combine('D:\', 'Tools', 'Wsl'))
        }
    }

    It 'Given <Path>, refuses it (exit 10)' -ForEach @(
        @{ Path = '%TEMP%\x' }, @{ Path = 'relative\x' }, @{ Path = '%ProgramData%\..\Windows' }, @{ Path = '%ProgramData%\a;b' }
    ) {
        InModuleScope WslPortProxy -Parameters @{ Path = $Path } {
            param($Path)
            { Resolve-InstallDirectory -Path $Path } | Should -Throw -ErrorId 'WslPortProxy.InvalidSettings'
        }
    }
}
